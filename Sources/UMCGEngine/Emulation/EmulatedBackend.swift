import Synchronization
import UMCGSystem
import UMCGTrace

#if canImport(Glibc)
    import Glibc
#endif

/// `umcg_ctl` in user space on futexes: the Nanos klib's rules (docs/UMCG-ABI.md) on stock Linux.
///
/// Design: every worker and server has a control block (128 bytes of raw, padded memory) holding
/// atomics only; a thread finds its own block through one initial-exec TLS slot and other threads'
/// blocks through a lock-free tid table. A server's CTX_SWITCH claims the worker, publishes RUNNING
/// in its state word (unparking it only if it announced sleep), then waits until the worker posts the
/// event that stops it (BLOCK, WAIT, EXIT, PREEMPT) into the server's stop slot (`StopSlot`). Every
/// other event (WAKE, TIMEOUT, the WAIT of a worker that handed its server on, the EXIT of a worker
/// that was not running) goes on one global bounded lock-free list, as in the klib: the worker is
/// IDLE (no server may switch to it) until a server takes its event off the list, which makes it
/// RUNNABLE. Any server drains the list: an idle WAIT, and every CTX_SWITCH return behind its stop
/// event. Posting
/// wakes one idle server (an idle-bit claim, like the klib's `blockq_wake_one`). Sleeping and waking
/// are futex calls on the park words (see `Parker`) and on the stop slots' sequences; the switch path
/// takes no lock and allocates nothing, and `preemptCurrentWorker()` may run from a signal handler.
///
/// What the handoff does: in `.futex` mode each switch is a store, FUTEX_WAKE of the peer and
/// FUTEX_WAIT of the caller (the cost of the futex ping-pong). In `.adaptive` mode, when the peer
/// last ran on another CPU, the caller spins up to `spinNanos` on its condition (the worker's state,
/// the stop sequence) before sleeping, and the waker skips FUTEX_WAKE when the peer is not asleep, so
/// a cross-CPU handoff with both threads hot costs a few cache-line transfers and no system call.
/// The kernel's "wake the next thread on this CPU and sleep the caller in one step" cannot be had
/// in user space.
///
/// A worker thread that ends without UNREGISTER still sends EXIT (a pthread-key destructor), so a
/// backend must outlive the threads registered with it.
///
/// Registration (REGISTER_*, UNREGISTER) takes a lock; nothing else does. Limits: `maxWorkers`
/// worker blocks and up to 64 servers (a 64-bit idle mask); beyond that registration fails ENOMEM.
public final class EmulatedBackend: UMCGBackend, @unchecked Sendable {
    // SAFETY: all shared mutable state is in atomics inside raw memory allocated in init and freed in
    // deinit; the registry (free lists) is behind a ThreadLock (pthread, TSan-visible). `let` fields are immutable after init.

    /// Tuning of the emulation.
    public struct Options: Sendable, Equatable {
        /// How handoffs sleep and wake.
        public var handoff: HandoffMode
        /// A worker that has run this long is preempted at its next checkpoint (Nanos: 100 ms).
        public var sliceNanos: UInt64
        /// Worker control blocks to allocate (registrations beyond fail with ENOMEM).
        public var maxWorkers: Int
        /// Server control blocks (1…64).
        public var maxServers: Int
        /// Bounded spin before FUTEX_WAIT in `.adaptive` mode when the peer is on another CPU
        /// (at most `maxSpinNanos`).
        public var spinNanos: UInt64

        /// sched_yield calls after an adaptive cross-CPU spin came up empty, before FUTEX_WAIT (at most
        /// `maxSpinYields`; 0 = sleep right after the spin).
        public var spinYields: Int = 0

        /// The default `spinNanos`: 20 µs. A cross-CPU handoff that ends in FUTEX_WAIT costs about 33 µs
        /// on a 2-vCPU KVM guest (the sleeping vCPU idles; waking it takes an IPI and a VM entry) against
        /// 0.2-0.4 µs spun, so at 5 µs the 1-4% of parks that outwaited the spin set a ping-pong's rate
        /// (docs/PERFORMANCE.md, "Cross-CPU stability"); from 20 µs on, under 0.02% do.
        public static let defaultSpinNanos: UInt64 = 20_000
        /// The largest `spinNanos` a backend accepts (10 ms: beyond, a spin is a busy loop).
        public static let maxSpinNanos: UInt64 = 10_000_000
        /// The largest `spinYields` a backend accepts.
        public static let maxSpinYields = 10_000

        /// `value` as a spin budget when it is one (0...`maxSpinNanos`), else `defaultSpinNanos`: how
        /// libumcg.so reads `UMCG_SPIN_NS` (its C side passes -1 for unset or malformed).
        public static func spinNanos(orDefault value: Int64) -> UInt64 {
            guard value >= 0, UInt64(value) <= maxSpinNanos else { return defaultSpinNanos }
            return UInt64(value)
        }

        /// Creates options.
        public init(
            handoff: HandoffMode = .adaptive, sliceNanos: UInt64 = 100_000_000, maxWorkers: Int = 1024,
            maxServers: Int = 64, spinNanos: UInt64 = defaultSpinNanos
        ) {
            self.handoff = handoff
            self.sliceNanos = sliceNanos
            self.maxWorkers = maxWorkers
            self.maxServers = maxServers
            self.spinNanos = spinNanos
        }
    }

    /// The options this backend runs with.
    public let options: Options
    /// `.emulated`.
    public var kind: BackendKind { .emulated }

    let alwaysWake: Bool
    let adaptive: Bool
    /// sched_yield calls before FUTEX_WAIT (`.yield` mode), else 0.
    let yields: Int
    /// How often a parked thread yields in `.yield` mode before it sleeps.
    public static let yieldsBeforeSleep = 64
    let workerSlab: UnsafeMutableRawPointer
    let serverSlab: UnsafeMutableRawPointer
    let workerSlabEnd: UInt
    let serverSlabEnd: UInt
    /// The global list (the klib's `idle_workers`): `entry(ref:type:)` words, and EXIT words verbatim.
    let list: EventQueue
    let table: TidTable
    /// 0: idle mask (bit i = server i sleeps in WAIT for events; a poster clears it to wake it) ·
    /// 128: 1 while the write probe (process_vm_writev) is usable, 0 where the system refuses it.
    let globals: UnsafeMutableRawPointer
    let maxServers: Int
    /// The pthread key whose destructor turns a worker thread's end into EXIT.
    let exitKey: pthread_key_t?
    /// Sees every transition (libumcg.so's publishing), unretained (see `EmulationObserver`, Cost);
    /// nil costs one load and branch per transition. `observerOwner` keeps it alive.
    let observer: Unmanaged<EmulationObserver>?
    /// The strong reference behind `observer`.
    let observerOwner: EmulationObserver?
    /// `TraceClock.shared`, unretained: reaching the global from this module goes through its lazy
    /// initialiser (swift_once, about 30 instructions) at every switch otherwise. It lives as long
    /// as the process.
    let clock = Unmanaged.passUnretained(TraceClock.shared)

    /// The trace clock's time now.
    @inline(__always)
    func clockNow() -> UInt64 { clock._withUnsafeGuaranteedRef { $0.nanos() } }

    struct Registry {
        var freeWorkers: [Int]  // used as a FIFO: slots are reused least recently freed first
        var freeWorkersHead = 0
        var freeServers: [Int]
        var liveWorkers = 0
        var liveServers = 0
    }
    let registry: ThreadLock<Registry>

    static let serverRefBit: UInt32 = 0x8000_0000

    /// Creates an emulated backend, with an observer of its transitions if given. Throws EINVAL for
    /// out-of-range options.
    public init(options: Options = Options(), observer: EmulationObserver? = nil) throws(Errno) {
        guard options.maxWorkers >= 1, options.maxWorkers < 1 << 24,
            (1...64).contains(options.maxServers), options.sliceNanos > 0,
            options.spinNanos <= Options.maxSpinNanos, (0...Options.maxSpinYields).contains(options.spinYields)
        else { throw Errno.EINVAL }
        self.options = options
        self.observer = observer.map { Unmanaged.passUnretained($0) }
        observerOwner = observer
        alwaysWake = options.handoff == .futex
        adaptive = options.handoff == .adaptive && CPU.count > 1
        yields = options.handoff == .yield ? Self.yieldsBeforeSleep : 0
        maxServers = options.maxServers
        workerSlab = UnsafeMutableRawPointer.allocate(byteCount: options.maxWorkers * WorkerBlock.size, alignment: 128)
        serverSlab = UnsafeMutableRawPointer.allocate(byteCount: options.maxServers * ServerBlock.size, alignment: 128)
        workerSlabEnd = UInt(bitPattern: workerSlab + options.maxWorkers * WorkerBlock.size)
        serverSlabEnd = UInt(bitPattern: serverSlab + options.maxServers * ServerBlock.size)
        for i in 0..<options.maxWorkers { WorkerBlock.initialize(workerSlab + i * WorkerBlock.size) }
        for i in 0..<options.maxServers { ServerBlock.initialize(serverSlab + i * ServerBlock.size) }
        // A worker is on the list at most once (it stays IDLE until its entry is taken); EXIT entries
        // of workers whose slots were reused meanwhile add at most one per slot.
        list = EventQueue.allocate(minimumCapacity: 2 * options.maxWorkers + 64)
        table = TidTable.allocate(entries: options.maxWorkers + options.maxServers)
        globals = UnsafeMutableRawPointer.allocate(byteCount: 256, alignment: 128)
        globals.bindMemory(to: Atomic<UInt64>.self, capacity: 1).initialize(to: Atomic(0))
        (globals + 128).bindMemory(to: Atomic<UInt64>.self, capacity: 1).initialize(to: Atomic(1))
        exitKey = Self.makeExitKey()
        registry = ThreadLock(
            Registry(
                freeWorkers: Array(0..<options.maxWorkers), freeServers: Array((0..<options.maxServers).reversed())))
    }

    deinit {
        if let exitKey { pthread_key_delete(exitKey) }
        list.deallocate()
        table.deallocate()
        workerSlab.deallocate()
        serverSlab.deallocate()
        globals.deallocate()
    }

    // MARK: memory

    /// Bytes of backend memory per worker slot: control block, tid-table share, global-list slots.
    public var bytesPerWorker: Int {
        let queueBytes = EventQueue.bytes(capacity: list.capacity)
        let total = options.maxWorkers * WorkerBlock.size + table.capacity * 8 + queueBytes
        return total / options.maxWorkers
    }

    // MARK: lookup

    @inline(__always) var idleMask: UnsafeMutablePointer<Atomic<UInt64>> {
        globals.assumingMemoryBound(to: Atomic<UInt64>.self)
    }
    @inline(__always) var probeUsable: UnsafeMutablePointer<Atomic<UInt64>> {
        (globals + 128).assumingMemoryBound(to: Atomic<UInt64>.self)
    }

    @inline(__always) func worker(_ index: Int) -> WorkerBlock { WorkerBlock(workerSlab + index * WorkerBlock.size) }
    @inline(__always) func server(_ index: Int) -> ServerBlock { ServerBlock(serverSlab + index * ServerBlock.size) }
    @inline(__always) func workerIndex(_ b: WorkerBlock) -> Int { (b.raw - workerSlab) / WorkerBlock.size }
    @inline(__always) func serverIndex(_ b: ServerBlock) -> Int { (b.raw - serverSlab) / ServerBlock.size }

    /// What the calling thread is to this backend.
    enum Role {
        case plain
        case worker(WorkerBlock)
        case server(ServerBlock)
    }

    @inline(__always)
    func currentRole() -> Role {
        guard let p = ThreadSlot.get() else { return .plain }
        let a = UInt(bitPattern: p)
        if a >= UInt(bitPattern: workerSlab) && a < workerSlabEnd { return .worker(WorkerBlock(p)) }
        if a >= UInt(bitPattern: serverSlab) && a < serverSlabEnd { return .server(ServerBlock(p)) }
        return .plain
    }

    // MARK: umcg_ctl

    /// `umcg_ctl` emulated: see docs/UMCG-ABI.md and the type comment.
    public func ctl(
        flags: UInt64, cmd: UMCGCommand, nextTid: Int32, absTimeout: UInt64,
        events: UnsafeMutablePointer<UInt64>?, eventCount: Int32
    ) throws(Errno) {
        if flags != 0 && (cmd != .wait || flags != UMCGABI.waitFlagInterrupted) { throw .EINVAL }
        let role = currentRole()
        switch cmd.rawValue {
        case UMCGCommand.registerWorker.rawValue:
            // The klib: EINVAL for non-zero next_tid, events or event_sz (flags were checked above).
            guard case .plain = role, nextTid == 0, events == nil, eventCount == 0 else { throw .EINVAL }
            try registerWorker(id: absTimeout)
        case UMCGCommand.registerServer.rawValue:
            guard nextTid == 0, absTimeout == 0, events == nil, eventCount == 0 else { throw .EINVAL }
            // The klib only checks the arguments: from a server or a worker it changes nothing.
            guard case .plain = role else { return }
            _ = try registerServer()
        case UMCGCommand.unregister.rawValue:
            guard nextTid == 0, absTimeout == 0, events == nil, eventCount == 0 else { throw .EINVAL }
            switch role {
            case .plain: return  // the klib: UNREGISTER from a thread that is not a worker returns 0
            case .worker(let w): try unregisterWorker(w)
            case .server(let s): unregisterServer(s)
            }
        case UMCGCommand.wake.rawValue:
            guard nextTid == 0, absTimeout == 0, events == nil, eventCount == 0 else { throw .EINVAL }
            try wakeIdleServer()
        case UMCGCommand.wait.rawValue:
            switch role {
            case .worker(let w):
                guard nextTid == 0, events == nil, eventCount == 0 else { throw .EINVAL }
                try workerWait(w, resume: flags != 0, deadline: absTimeout)
            case .server(let s):
                try serverWait(s, nextTid: nextTid, deadline: absTimeout, events: events, count: eventCount)
            case .plain:
                let s = try registerServer()
                try serverWait(s, nextTid: nextTid, deadline: absTimeout, events: events, count: eventCount)
            }
        case UMCGCommand.ctxSwitch.rawValue:
            switch role {
            case .worker(let w):
                try workerSwitch(w, to: nextTid, deadline: absTimeout)
            case .server(let s):
                try serverSwitch(s, to: nextTid, deadline: absTimeout, events: events, count: eventCount)
            case .plain:
                let s = try registerServer()
                try serverSwitch(s, to: nextTid, deadline: absTimeout, events: events, count: eventCount)
            }
        default:
            throw .EINVAL
        }
    }

    /// Delivers an interrupt (the emulation's stand-in for a signal) to a registered thread: a server
    /// blocked in WAIT, or a worker waiting in WAIT, returns EINTR. A pending interrupt stays until a
    /// WAIT consumes it. ESRCH for an unknown tid.
    public func interrupt(tid: Int32) throws(Errno) {
        guard let ref = table.lookup(tid) else { throw .ESRCH }
        if ref & Self.serverRefBit != 0 {
            let s = server(Int(ref & ~Self.serverRefBit))
            // SequentiallyConsistent: pairs with the waiter's flag check after its park returns.
            s.flags.pointee.bitwiseOr(ServerBlock.flagInterrupt, ordering: .sequentiallyConsistent)
            s.parker.unpark(alwaysWake: true)
        } else {
            let w = worker(Int(ref))
            // SequentiallyConsistent: pairs with the worker's flag check in waitToRun.
            w.flags.pointee.bitwiseOr(WorkerBlock.flagInterrupt, ordering: .sequentiallyConsistent)
            w.parker.unpark(alwaysWake: true)
        }
    }

    /// How the parks of every thread that used this backend ended, summed over all control blocks
    /// (see `ParkCounts`: exact once those threads were joined).
    public func parkCounts() -> ParkCounts {
        var sum = ParkCounts()
        for i in 0..<options.maxWorkers {
            sum = sum + ParkCounts.read(ParkCounts.words(in: workerSlab + i * WorkerBlock.size))
        }
        for i in 0..<maxServers {
            sum = sum + ParkCounts.read(ParkCounts.words(in: serverSlab + i * ServerBlock.size))
        }
        return sum
    }

    /// Live registered workers and servers.
    public var registeredCounts: (workers: Int, servers: Int) {
        registry.withLock { ($0.liveWorkers, $0.liveServers) }
    }

    // MARK: spinning

    /// The sched_yield calls of a park whose spin budget is `spin`: `options.spinYields` after a
    /// cross-CPU spin, the `.yield` mode's count otherwise (0 in the other modes and on one CPU).
    @inline(__always)
    func parkYields(spin: UInt64) -> Int { spin > 0 ? options.spinYields : yields }

    /// The spin budget for a thread about to park waiting on a peer last seen on `peerCPU`.
    @inline(__always)
    func spinBudget(own cpuField: UnsafeMutablePointer<Atomic<Int32>>, peerCPU: Int32) -> UInt64 {
        guard adaptive else { return 0 }
        let mine = CPU.current()
        // Relaxed: a placement hint only; stored when it changed, so a thread that stays on its CPU
        // does not write its control block's line while the peer reads it.
        if cpuField.pointee.load(ordering: .relaxed) != mine { cpuField.pointee.store(mine, ordering: .relaxed) }
        return (peerCPU >= 0 && mine >= 0 && peerCPU != mine) ? options.spinNanos : 0
    }
}
