import UMCGSystem

/// The start-of-run check of `umcgtop bench --policy`: can a thread of this process get the policy?
public enum PolicyCheck {
    /// Tries `policy` on a fresh thread (the caller's thread is never changed) and returns the
    /// errno it was refused with, nil when it was granted (or when `policy` is `.other`).
    public static func probe(_ policy: SchedulingPolicy) -> Errno? {
        guard policy != .other else { return nil }
        let outcome = ThreadLock<Errno?>(.EAGAIN)
        do {
            let thread = try OSThread(name: "policy-probe") {
                do throws(Errno) {
                    try policy.apply(priority: 1)
                    outcome.withLock { $0 = nil }
                } catch {
                    outcome.withLock { $0 = error }
                }
            }
            thread.join()
        } catch {
            return error
        }
        return outcome.withLock { $0 }
    }

    /// The one-line refusal for `policy`, or nil when `probe` grants it. `probe` is injectable so a
    /// test can simulate a missing privilege.
    public static func refusal(
        _ policy: SchedulingPolicy, probe: (SchedulingPolicy) -> Errno? = PolicyCheck.probe
    ) -> String? {
        guard let error = probe(policy) else { return nil }
        return "--policy \(policy.rawValue): \(BaselineError.policyFailed(policy, error))"
    }
}
