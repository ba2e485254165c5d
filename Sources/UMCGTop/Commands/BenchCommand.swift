import ArgumentParser

/// `umcgtop bench` (placeholder until its issue lands).
public struct BenchCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(commandName: "bench", abstract: "Not built yet.")

    public init() {}

    public func run() async throws {
        throw ValidationError("'umcgtop bench' is not built yet")
    }
}
