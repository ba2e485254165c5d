/// Where the two threads of a ping-pong run.
public enum Placement: String, Sendable, CaseIterable, Codable {
    /// Both pinned to the same CPU.
    case sameCPU = "same-cpu"
    /// Pinned to two different CPUs.
    case crossCPU = "cross-cpu"
    /// Not pinned; the kernel decides (results are bimodal on small VMs).
    case unpinned = "unpinned"
}
