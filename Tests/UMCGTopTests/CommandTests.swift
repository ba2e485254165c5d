import Testing
import UMCGSystem

@testable import UMCGTop

@Suite struct CommandTests {
    @Test func rootHasSubcommands() {
        #expect(UMCGTopCommand.configuration.subcommands.count >= 3)
    }
}
