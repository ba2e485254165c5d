import Testing
import UMCGSystem
import UMCGTrace

@testable import UMCGTop

/// The switch-rate panel's UMCG row names the backend its ping-pong ran on (#10: it ran on the
/// emulation without saying so).
@Suite struct ViewBackendLabelTests {
    static func umcgRow(backend: String) -> String? {
        let agg = ModelFixtures.aggregator()
        agg.model.status.backend = backend
        let text = DashboardView.render(agg.model, width: 120, height: 40).text
        return text.split(separator: "\n").map(String.init).first { $0.contains(" UMCG ") && $0.contains("│") }
    }

    @Test(arguments: ["kernel", "emulated"])
    func theUMCGRowNamesTheBackend(backend: String) throws {
        let row = try #require(Self.umcgRow(backend: backend))
        #expect(row.contains(" \(backend) "))
        // The other baselines keep their placement.
        let agg = ModelFixtures.aggregator()
        agg.model.status.backend = backend
        let text = DashboardView.render(agg.model, width: 120, height: 40).text
        #expect(text.split(separator: "\n").contains { $0.contains(" futex ") && $0.contains("same-cpu") })
    }
}
