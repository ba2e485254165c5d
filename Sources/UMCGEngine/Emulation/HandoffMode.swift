/// How a UMCG handoff sleeps and wakes.
public enum HandoffMode: String, Sendable, CaseIterable, Codable {
    /// Every handoff is a FUTEX_WAKE + FUTEX_WAIT, like the futex baseline.
    case futex
    /// Spin briefly on the handoff word before sleeping, and skip FUTEX_WAKE when the peer is spinning.
    case adaptive
    /// Skip FUTEX_WAKE when the peer is not asleep (as `adaptive`), and before sleeping call
    /// sched_yield up to `EmulatedBackend.yieldsBeforeSleep` times, re-checking the handoff word:
    /// on one CPU under SCHED_FIFO or SCHED_RR that hands the CPU straight to the peer (one system
    /// call per switch, no wait queue). Under SCHED_OTHER the yield may not run the peer at all;
    /// `umcgtop bench --policy fifo` checks the policy before it uses this mode.
    case yield
}
