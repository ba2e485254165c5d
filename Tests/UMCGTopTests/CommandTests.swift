import Testing

@testable import UMCGTop

@Suite struct CommandTests {
    @Test func rootHasSubcommands() {
        #expect(UMCGTopCommand.configuration.subcommands.count >= 3)
    }
}
