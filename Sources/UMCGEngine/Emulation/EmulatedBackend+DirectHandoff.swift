import Synchronization
import UMCGSystem
import UMCGTrace

extension EmulatedBackend {
    /// The engine's direct worker-to-worker handoff (see `UMCGBackend.directHandoff`): one claim of
    /// the target (RUNNABLE or WAITING, as a server's CTX_SWITCH takes it), the caller WAITING with
    /// no event posted, the target RUNNING on the caller's server, one unpark. The server stays
    /// parked in its CTX_SWITCH until the last worker of the chain stops (that stop event names it).
    /// A WAITING caller can be taken back by a handoff or by any server's CTX_SWITCH, as after a WAIT.
    public func directHandoff(to tid: Int32, onClaim: () -> Void) throws(Errno) -> Bool {
        guard case .worker(let w) = currentRole() else { throw .EINVAL }
        guard let si = beginStop(w) else { throw .EINVAL }
        // Read before the claim, like serverSwitch's: the target's line then takes back-to-back stores.
        let startedAt = clockNow()
        let next: WorkerBlock
        let ref: UInt32
        let claimed: UInt32
        do throws(Errno) {
            (next, ref) = try lookupWorker(tid)
            guard next.raw != w.raw else { throw .EINVAL }
            claimed = try claim(next, tid: tid, orWaiting: true)
        } catch {
            // Releasing: own state back; nothing was published.
            w.state.pointee.store(UMCGWorkerState.running, ordering: .releasing)
            throw error
        }
        onClaim()
        let s = server(Int(si))
        // Relaxed: own field, read by this thread only.
        w.deadline.pointee.store(0, ordering: .relaxed)
        // Releasing: pairs with claim's acquiring CAS (a handoff back, or a server's CTX_SWITCH).
        w.state.pointee.store(UMCGWorkerState.waiting, ordering: .releasing)
        // `onClaim`'s writes go with the RUNNING store.
        publishRunning(next, ref: ref, claimed: claimed, on: s, index: si, startedAt: startedAt)
        try waitToRun(w, deadline: 0, interruptible: false)
        return true
    }
}
