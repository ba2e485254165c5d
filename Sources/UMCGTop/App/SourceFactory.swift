import ArgumentParser

/// Builds the event source the command asks for.
enum SourceFactory {
    /// A live or replay source, started.
    static func make(_ command: UMCGTopCommand) throws -> EventSource {
        throw ValidationError("the live engine is not wired yet")
    }
}
