import Testing
import UMCGSystem

@testable import UMCGTop

@Suite struct CommandTests {
    /// Exactly these subcommands, in this order (the help lists them so), with the dashboard as the default.
    @Test func rootHasSubcommands() {
        let configuration = UMCGTopCommand.configuration
        #expect(
            configuration.subcommands.map { $0._commandName } == [
                "dashboard", "bench", "report", "export", "run", "ps",
            ])
        #expect(configuration.defaultSubcommand.map { ObjectIdentifier($0) } == ObjectIdentifier(DashboardCommand.self))
    }
}
