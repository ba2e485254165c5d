import Synchronization
import UMCGSystem

/// The global event list (the klib's `idle_workers`) and the event buffer rules.
///
/// An entry is `ref << 5 | type` for WAKE, TIMEOUT and the WAIT of a handoff (the worker is IDLE, so
/// its block stays valid until a server takes the entry and makes it RUNNABLE), or the event word
/// itself for EXIT (the block may already be reused). Only the worker's own thread puts it on the list,
/// and only once per IDLE period.
extension EmulatedBackend {
    @inline(__always)
    static func entry(ref: Int, type: UMCGEventType) -> UInt64 { UInt64(ref) << UMCGABI.workerIDShift | type.rawValue }

    /// Puts the calling worker (already IDLE, or IDLE|TIMEOUT for TIMEOUT) on the global list and wakes
    /// one idle server.
    @inline(__always)
    func postIdle(_ w: WorkerBlock, type: UMCGEventType) {
        list.enqueueWaiting(Self.entry(ref: workerIndex(w), type: type))
        _ = wakeOneIdleServer(poke: false)
    }

    /// The EXIT of a worker that was not running goes on the list as the event word itself.
    func postExit(id: UInt64) {
        list.enqueueWaiting(id | UMCGEventType.exit.rawValue)
        _ = wakeOneIdleServer(poke: false)
    }

    /// Wakes one server sleeping in WAIT: claims its idle bit (so two posts wake two servers, as the
    /// klib's `blockq_wake_one`), sets `poked` for UMCG_WAKE, unparks it. False when none is idle.
    @inline(__always)
    func wakeOneIdleServer(poke: Bool) -> Bool {
        // SequentiallyConsistent fence: the list enqueue (or UMCG_WAKE) before it against a server's
        // idle-bit RMW + fence + list check (store-fence-load on both sides: one sees the other).
        atomicMemoryFence(ordering: .sequentiallyConsistent)
        // Relaxed after the fence above (see there).
        var mask = idleMask.pointee.load(ordering: .relaxed)
        while mask != 0 {
            let bit = mask & (~mask &+ 1)
            // AcquiringAndReleasing: exactly one waker claims the bit; pairs with serverWait's bitwiseOr.
            let old = idleMask.pointee.bitwiseAnd(~bit, ordering: .acquiringAndReleasing).oldValue
            if old & bit != 0 {
                let s = server(bit.trailingZeroBitCount)
                // Releasing: pairs with consumePoke's acquiring RMW.
                if poke { s.flags.pointee.bitwiseOr(ServerBlock.flagPoked, ordering: .releasing) }
                s.parker.unpark(alwaysWake: alwaysWake)
                return true
            }
            mask = old & ~bit
        }
        return false
    }

    /// Whether the server may store to `slot`: probed once per page with process_vm_writev (a bad
    /// pointer gives EFAULT, never SIGSEGV) and cached per server, so the switch path pays one compare.
    /// Where the system refuses the probe (seccomp, no such call) the slot is trusted.
    @inline(__always)
    func writable(_ slot: UnsafeMutablePointer<UInt64>, server s: ServerBlock) -> Bool {
        let page = UInt64(UInt(bitPattern: slot)) >> 12 &+ 1
        // Relaxed: own field of the server's thread.
        if s.probedPage.pointee.load(ordering: .relaxed) == page { return true }
        return probe(slot, page: page, server: s)
    }

    @inline(never)
    func probe(_ slot: UnsafeMutablePointer<UInt64>, page: UInt64, server s: ServerBlock) -> Bool {
        // Relaxed: a capability flag; a stale 1 only costs one more refused probe.
        guard probeUsable.pointee.load(ordering: .relaxed) != 0 else { return true }
        do throws(Errno) {
            // The slot is about to be written anyway (an event or the closing 0).
            try OwnMemory.write(0, to: UnsafeMutableRawPointer(slot))
        } catch let error where error == .EFAULT {
            return false
        } catch {
            // Relaxed: see above.
            probeUsable.pointee.store(0, ordering: .relaxed)
            return true
        }
        // Relaxed: own field.
        s.probedPage.pointee.store(page, ordering: .relaxed)
        return true
    }

    /// Takes events off the global list into `events[from..<count]` by the klib's rule: an entry is
    /// taken only while two slots are left (the last one is for the closing 0, or for the TIMEOUT that
    /// follows its WAIT), then a 0 when there is room. Taking WAKE/TIMEOUT/WAIT makes the worker
    /// RUNNABLE (claimable); a timed-out handoff WAIT is followed by its TIMEOUT. A slot that cannot be
    /// written (or a NULL buffer) stops the copy with the entry left on the list: EFAULT when it is
    /// slot 0 (the call's first write), else the events so far. Returns how many events were copied.
    @inline(__always)
    func drain(
        _ events: UnsafeMutablePointer<UInt64>?, from: Int, count: Int, server s: ServerBlock
    ) throws(Errno) -> Int {
        guard let events else {
            // A NULL buffer: nothing can be written; EFAULT once there is an event to write.
            if from == 0 && count > 1 && list.peek() != nil { throw .EFAULT }
            return 0
        }
        var i = from
        while count - i > 1, list.peek() != nil {
            guard writable(events + i, server: s), writable(events + i + 1, server: s) else {
                if i == 0 { throw .EFAULT }
                break
            }
            guard let raw = list.dequeue() else { break }
            let type = raw & UMCGABI.eventTypeMask
            if type == UMCGEventType.exit.rawValue {
                events[i] = raw
                i += 1
                continue
            }
            let w = worker(Int(truncatingIfNeeded: raw >> UMCGABI.workerIDShift))
            // Relaxed: the worker wrote its id at registration, before the releasing enqueue we acquired.
            let id = w.id.pointee.load(ordering: .relaxed)
            // Acquiring: pairs with the worker's releasing IDLE store before it posted.
            let old = w.state.pointee.load(ordering: .acquiring)
            guard old & UMCGWorkerState.mask == UMCGWorkerState.idle else { continue }  // cannot happen; never trust it
            events[i] = id | type
            i += 1
            // AcquiringAndReleasing: races only with the worker's own IDLE → IDLE|TIMEOUT CAS (a timed
            // handoff); one wins. RUNNABLE is what claim() accepts.
            if w.state.pointee.compareExchange(
                expected: UMCGWorkerState.idle, desired: UMCGWorkerState.runnable, ordering: .acquiringAndReleasing
            ).exchanged {
                continue
            }
            // IDLE|TIMEOUT: the TIMEOUT of a WAKE-less wait was posted as its own entry; a handoff's WAIT
            // timed out before it was taken, so its TIMEOUT goes right behind it.
            if type == UMCGEventType.wait.rawValue {
                events[i] = id | UMCGEventType.timeout.rawValue
                i += 1
            }
            // Releasing: claim() acquires; the TIMEOUT bit makes the worker's call return ETIMEDOUT.
            w.state.pointee.store(UMCGWorkerState.runnable | UMCGWorkerState.timeoutBit, ordering: .releasing)
        }
        if i < count, writable(events + i, server: s) { events[i] = 0 }
        return i - from
    }
}
