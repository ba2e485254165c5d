import UMCGEngine
import UMCGSystem

/// Where a UMCG ping-pong's `umcg_ctl` goes: a fresh backend of one kind per run.
///
/// `bench` and the dashboard build it from the `--backend` selection (`selected(_:selector:)`), so
/// the UMCG rows measure the backend the engine would use; every row carries `kind`.
public struct PingPongBackend: Sendable {
    /// The backend kind every run of this source uses (the label of its rows).
    public var kind: BackendKind
    /// Makes the backend of one run; the handoff mode matters to the emulation only.
    public var make: @Sendable (HandoffMode) throws -> any UMCGBackend

    /// Creates a source from a factory.
    public init(kind: BackendKind, make: @escaping @Sendable (HandoffMode) throws -> any UMCGBackend) {
        self.kind = kind
        self.make = make
    }

    /// The futex emulation, one `EmulatedBackend` per run (sized for one server and one worker).
    public static let emulated = emulated(spinNanos: EmulatedBackend.Options.defaultSpinNanos)

    /// The futex emulation with the adaptive handoff's cross-CPU spin budget `spinNanos`, then
    /// `spinYields` sched_yield calls before it sleeps.
    public static func emulated(spinNanos: UInt64, spinYields: Int = 0) -> PingPongBackend {
        PingPongBackend(kind: .emulated) { handoff in
            try EmulatedBackend(options: options(handoff, spinNanos: spinNanos, spinYields: spinYields))
        }
    }

    /// The backend `selection` names: the kernel's umcg_ctl (through `selector`'s invoker) or the
    /// emulation (with `spinNanos` and `spinYields` as its adaptive spin budget).
    public static func selected(
        _ selection: BackendSelection, selector: BackendSelector = BackendSelector(),
        spinNanos: UInt64 = EmulatedBackend.Options.defaultSpinNanos, spinYields: Int = 0
    ) -> PingPongBackend {
        guard selection.kind == .kernel else { return .emulated(spinNanos: spinNanos, spinYields: spinYields) }
        return PingPongBackend(kind: .kernel) { handoff in
            try selector.makeBackend(for: selection, options: options(handoff, spinNanos: spinNanos))
        }
    }

    /// The emulation's options for a ping-pong: no preemption, room for the two threads.
    static func options(
        _ handoff: HandoffMode, spinNanos: UInt64 = EmulatedBackend.Options.defaultSpinNanos, spinYields: Int = 0
    ) -> EmulatedBackend.Options {
        var o = EmulatedBackend.Options(
            handoff: handoff, sliceNanos: UInt64.max / 2, maxWorkers: 4, maxServers: 2, spinNanos: spinNanos)
        o.spinYields = spinYields
        return o
    }
}
