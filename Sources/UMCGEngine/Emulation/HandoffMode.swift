/// How a UMCG handoff sleeps and wakes.
public enum HandoffMode: String, Sendable, CaseIterable, Codable {
    /// Every handoff is a FUTEX_WAKE + FUTEX_WAIT, like the futex baseline.
    case futex
    /// Spin briefly on the handoff word before sleeping, and skip FUTEX_WAKE when the peer is spinning.
    case adaptive
}
