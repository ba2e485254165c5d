import UMCGSystem

/// One `umcg_ctl`-shaped interface with two implementations: the futex emulation and the kernel syscall.
///
/// The emulation-only parts (blocking sections, cooperative preemption) are part of the protocol so
/// engine code calls them unconditionally; the kernel backend implements them as no-ops because the
/// kernel sees a worker block in any syscall and preempts it on its own.
public protocol UMCGBackend: AnyObject, Sendable {
    /// "emulated" or "kernel".
    var kind: BackendKind { get }

    /// `umcg_ctl(flags, cmd, next_tid, abs_timeout, events, event_sz)`. Never allocates.
    func ctl(
        flags: UInt64, cmd: UMCGCommand, nextTid: Int32, absTimeout: UInt64,
        events: UnsafeMutablePointer<UInt64>?, eventCount: Int32
    ) throws(Errno)

    /// The calling worker starts a blocking call: its server gets BLOCK and may run another worker.
    func enterBlocking() throws(Errno)

    /// The blocking call ended: WAKE is queued and the caller waits until a server switches to it.
    func leaveBlocking() throws(Errno)

    /// A preemption point: if the caller has run past its slice, PREEMPT goes to its server and the
    /// caller waits to be picked again. Returns whether it was preempted.
    @discardableResult
    func checkpoint() throws(Errno) -> Bool

    /// A hint from a server that it will soon CTX_SWITCH to worker `tid`: start loading what that
    /// switch touches. Never blocks, never fails; the kernel backend ignores it.
    func prefetch(worker tid: Int32)

    /// The engine's direct handoff, beyond the klib's rules: the calling RUNNING worker hands its
    /// server to worker `tid` when that one is RUNNABLE or WAITING, and goes WAITING itself with no
    /// event for its server (the engine records the handoff in its own log). `onClaim` runs on the
    /// caller's thread once the target is claimed and before it runs. Returns once a server or
    /// another handoff switched back to the caller; false at once (nothing done) on a backend
    /// without it (the kernel's), where the worker-form CTX_SWITCH is what there is. EINVAL (the
    /// caller or the target in another state, the target is the caller) and ESRCH (no such
    /// worker) leave the caller RUNNING and `onClaim` uncalled.
    func directHandoff(to tid: Int32, onClaim: () -> Void) throws(Errno) -> Bool
}

extension UMCGBackend {
    /// No hint to act on.
    public func prefetch(worker tid: Int32) {}

    /// No direct handoff: the caller uses the worker-form CTX_SWITCH.
    public func directHandoff(to tid: Int32, onClaim: () -> Void) throws(Errno) -> Bool { false }

    /// `umcg_ctl` with the arguments most calls leave at zero.
    @inlinable
    public func ctl(
        _ cmd: UMCGCommand, flags: UInt64 = 0, nextTid: Int32 = 0, absTimeout: UInt64 = 0,
        events: UnsafeMutablePointer<UInt64>? = nil, eventCount: Int32 = 0
    ) throws(Errno) {
        try ctl(
            flags: flags, cmd: cmd, nextTid: nextTid, absTimeout: absTimeout, events: events,
            eventCount: eventCount)
    }

    /// Runs `body` inside a blocking section (BLOCK before, WAKE and wait-to-be-picked after).
    @inlinable
    public func blocking<R>(_ body: () throws(Errno) -> R) throws(Errno) -> R {
        try enterBlocking()
        let result: Result<R, Errno>
        do throws(Errno) { result = .success(try body()) } catch { result = .failure(error) }
        try leaveBlocking()
        return try result.get()
    }

    /// Sleeps `nanos` inside a blocking section.
    public func sleep(nanos: UInt64) throws(Errno) {
        try blocking { () throws(Errno) in
            var remaining = nanos
            let end = SystemClock.monotonicNanos() &+ nanos
            while remaining > 0 {
                do throws(Errno) {
                    try SystemClock.sleepReportingInterrupts(nanos: remaining)
                    return
                } catch let error where error == .EINTR {
                    let now = SystemClock.monotonicNanos()
                    remaining = now >= end ? 0 : end - now
                }
            }
        }
    }

    /// read(2) inside a blocking section; returns the bytes read (0 at end of file).
    public func read(fd: Int32, into buffer: UnsafeMutableRawBufferPointer) throws(Errno) -> Int {
        try blocking { () throws(Errno) in
            try FileDescriptor(rawValue: fd).read(into: buffer)
        }
    }

    /// FUTEX_WAIT on `word` while it holds `expected`, inside a blocking section.
    public func futexWait(
        _ word: UnsafeMutablePointer<UInt32>, expected: UInt32, timeout: UInt64? = nil
    ) throws(Errno) -> Futex.WaitOutcome {
        try blocking { () throws(Errno) in try Futex.wait(word, expected: expected, timeout: timeout) }
    }
}
