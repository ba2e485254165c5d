/// Starts the baselines' plain threads on the engine's `OSThread`, mapping its error to `BaselineError`.
enum BaselineThread {
    /// Starts a thread running `body`; join the returned thread (joins are idempotent).
    static func start(_ body: @escaping @Sendable () -> Void) throws(BaselineError) -> OSThread {
        do {
            return try OSThread(body)
        } catch {
            throw .threadStartFailed(error)
        }
    }
}
