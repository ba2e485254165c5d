import UMCGSystem
/// A fault injected into one worker of a live engine (tests only, through
/// `EngineConfiguration.fault`): after `steps` steps of its workload the worker either throws, as a
/// failing workload does, or its thread ends while it runs, without UNREGISTER.
struct WorkerFault: Sendable, Equatable {
    /// What the worker does.
    enum Kind: Sendable, Equatable {
        /// The workload throws (the engine records a failure, then unregisters: EXIT).
        case workloadThrows
        /// The thread returns while RUNNING, without UNREGISTER (the thread-exit hook sends EXIT).
        case threadExits
    }

    /// Which workers (indices).
    var workers: Set<Int>
    /// Steps of the workload before the fault.
    var steps: Int
    /// The fault.
    var kind: Kind

    /// The error an injected failing workload throws.
    static let injectedError = Errno(rawValue: 5)  // EIO
}
