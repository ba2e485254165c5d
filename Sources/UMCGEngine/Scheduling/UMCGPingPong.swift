import UMCGTrace

/// The Nanos UMCG benchmark through the engine: main is a server looping CTX_SWITCH(worker),
/// the worker loops UMCG_WAIT. (Placeholder until the engine lands.)
public enum UMCGPingPong {
    /// Runs the ping-pong for `seconds` and reports cycles. `hub` receives trace events when non-nil.
    public static func run(
        handoff: HandoffMode, placement: Placement, seconds: Double, hub: TraceHub? = nil
    ) throws -> PingPongResult {
        throw Errno.ENOSYS
    }
}
