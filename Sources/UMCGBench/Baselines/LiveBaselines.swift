import UMCGEngine
import UMCGSystem
import UMCGTrace

/// Runs one live slice of a ping-pong: until `seconds` pass or `control` asks to stop (runners
/// that cannot be interrupted may ignore `control` and just return after `seconds`).
public typealias BaselineSliceRunner =
    @Sendable (_ plan: CPUPlan, _ placement: Placement, _ seconds: Double, _ control: PingPongControl) throws ->
    PingPongResult

/// A baseline that stopped being run, and why (one line).
public struct BaselineFailure: Sendable, Equatable {
    /// The method that failed.
    public var method: BaselineMethod
    /// What went wrong, e.g. "ENOSYS".
    public var reason: String

    /// Creates a failure record.
    public init(method: BaselineMethod, reason: String) {
        self.method = method
        self.reason = reason
    }
}

/// Keeps the futex, condvar and UMCG ping-pongs going for the dashboard, in interleaved time
/// slices (one method at a time, `sliceSeconds` each, in turn), so they never compete with each
/// other and machine drift hits all of them alike.
///
/// Threading rule: every method may be called from any thread. One controller thread of its own
/// runs the slices; each slice runs on two fresh pinned threads. `counters()` is lossless and
/// monotonic: cycles count every completed cycle, `activeNanos` only time spent in that
/// method's slices (never paused time). `stop()` joins everything; it also runs on deinit.
///
/// Placement (default): both threads of every baseline on the **last CPU** (`.sameCPU`), so on a
/// small machine they disturb the engine's servers (which start at CPU 0) least, and the numbers
/// are the same-CPU handoff costs the UMCG emulation is compared with.
public final class LiveBaselines: Sendable {
    /// How the live baselines run.
    public struct Configuration: Sendable {
        /// Methods, in slice order. Default: futex, condvar, umcg.
        public var methods: [BaselineMethod]
        /// Where the two threads of each ping-pong run. Default `.sameCPU`.
        public var placement: Placement
        /// Anchor CPU of the placement (see `CPUPlan.make`); nil = the last CPU.
        public var cpu: Int32?
        /// Length of one slice in seconds. Default 0.1.
        public var sliceSeconds: Double
        /// Idle time after each slice in seconds (0 = back to back), to cap the CPU the
        /// baselines take from the rest of the machine.
        public var restSeconds: Double
        /// Handoff mode of the UMCG ping-pong. Default `.futex` (same mechanism as the futex baseline).
        public var umcgHandoff: HandoffMode
        /// The backend of the UMCG slices (the dashboard passes the engine's selection). Default: the emulation.
        public var umcgBackend: PingPongBackend
        /// Runs a UMCG slice; nil = `UMCGPingPong.run` on `umcgBackend` (no trace hub: its events
        /// would collide with the engine's entity ids). The app may supply its own.
        public var umcgRunner: BaselineSliceRunner?

        /// Creates a configuration (all defaults as documented on the properties).
        public init(
            methods: [BaselineMethod] = [.futex, .condvar, .umcg], placement: Placement = .sameCPU,
            cpu: Int32? = nil, sliceSeconds: Double = 0.1, restSeconds: Double = 0,
            umcgHandoff: HandoffMode = .futex, umcgBackend: PingPongBackend = .emulated,
            umcgRunner: BaselineSliceRunner? = nil
        ) {
            self.methods = methods
            self.placement = placement
            self.cpu = cpu
            self.sliceSeconds = sliceSeconds
            self.restSeconds = restSeconds
            self.umcgHandoff = umcgHandoff
            self.umcgBackend = umcgBackend
            self.umcgRunner = umcgRunner
        }
    }

    private let core: LiveBaselinesCore

    /// Creates the runner (not started). `hub`, when given, receives a `.baselineSample` event
    /// per slice (`worker` = method raw value, `arg` = cycles in that slice, `cpu` = main's CPU).
    /// Throws `BaselineError` for a bad slice length or placement (e.g. cross-cpu on one CPU).
    public init(configuration: Configuration = Configuration(), hub: TraceHub? = nil) throws(BaselineError) {
        guard configuration.sliceSeconds.isFinite, configuration.sliceSeconds > 0 else {
            throw .invalidDuration(configuration.sliceSeconds)
        }
        guard configuration.restSeconds.isFinite, configuration.restSeconds >= 0 else {
            throw .invalidDuration(configuration.restSeconds)
        }
        let plan = try CPUPlan.make(for: configuration.placement, preferredCPU: configuration.cpu)
        var methods: [BaselineMethod] = []
        for m in configuration.methods where !methods.contains(m) { methods.append(m) }
        let handoff = configuration.umcgHandoff
        let backend = configuration.umcgBackend
        let umcg: BaselineSliceRunner =
            configuration.umcgRunner ?? { _, placement, seconds, control in
                try UMCGPingPong.run(
                    backend: backend.make(handoff), placement: placement, seconds: seconds, hub: nil, control: control)
            }
        let slots = methods.map { method -> LiveBaselinesCore.Slot in
            switch method {
            case .futex:
                LiveBaselinesCore.Slot(method: method) { plan, _, s, c in
                    try FutexPingPong.run(plan: plan, seconds: s, control: c)
                }
            case .condvar:
                LiveBaselinesCore.Slot(method: method) { plan, _, s, c in
                    try CondvarPingPong.run(plan: plan, seconds: s, control: c)
                }
            case .umcg:
                LiveBaselinesCore.Slot(method: method, run: umcg)
            }
        }
        core = LiveBaselinesCore(
            slots: slots, plan: plan, placement: configuration.placement,
            sliceSeconds: configuration.sliceSeconds, restSeconds: configuration.restSeconds, hub: hub)
        umcgBackend = configuration.umcgBackend.kind
    }

    deinit { core.stop() }

    /// Starts the slices (idempotent; after `stop()` it does nothing). Throws if the thread cannot start.
    public func start() throws(BaselineError) { try core.start() }

    /// Stops running slices and returns once the current slice has ended and been counted
    /// (futex/condvar slices end within a cycle; a UMCG slice may take up to `sliceSeconds`).
    public func pause() { core.pause() }

    /// Continues after `pause()`.
    public func resume() { core.resume() }

    /// Ends the slices and joins every thread. Idempotent.
    public func stop() { core.stop() }

    /// True between `pause()` and `resume()`.
    public var isPaused: Bool { core.isPaused }

    /// The backend the UMCG slices run on (the label of the dashboard's UMCG row).
    public let umcgBackend: BackendKind

    /// Lossless totals per method still running or that ran at least one cycle, in slice order.
    public func counters() -> [BaselineCounters] { core.counters() }

    /// Methods taken out of the rotation because a slice threw (e.g. UMCG not available).
    public func failures() -> [BaselineFailure] { core.failures() }
}
