import ArgumentParser

/// `umcgtop report` (placeholder until its issue lands).
public struct ReportCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(commandName: "report", abstract: "Not built yet.")

    public init() {}

    public func run() async throws {
        throw ValidationError("'umcgtop report' is not built yet")
    }
}
