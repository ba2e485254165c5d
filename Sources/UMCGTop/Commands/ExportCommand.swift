import ArgumentParser

/// `umcgtop export` (placeholder until its issue lands).
public struct ExportCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(commandName: "export", abstract: "Not built yet.")

    public init() {}

    public func run() async throws {
        throw ValidationError("'umcgtop export' is not built yet")
    }
}
