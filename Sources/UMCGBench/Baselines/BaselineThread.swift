import UMCGSystem

/// Starts the baselines' plain threads on the engine's `OSThread`, mapping its error to `BaselineError`.
enum BaselineThread {
    /// Starts a thread running `body`; join the returned thread (joins are idempotent).
    static func start(name: String, _ body: @escaping @Sendable () -> Void) throws(BaselineError) -> OSThread {
        do {
            return try OSThread(name: name, body)
        } catch {
            throw .threadStartFailed(error)
        }
    }
}
