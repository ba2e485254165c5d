import Testing
import UMCGSystem
import UMCGTrace

@testable import UMCGTop

@Suite struct ViewSmokeTests {
    @Test(arguments: [(80, 24), (120, 40), (60, 16), (30, 8), (0, 0)])
    func rendersAtSize(_ size: (Int, Int)) {
        let agg = ModelFixtures.aggregator(seconds: 3)
        let buf = DashboardView.render(agg.model, width: size.0, height: size.1)
        #expect(buf.width == size.0 && buf.height == size.1)
        if size.0 >= 60 && size.1 >= 16 {
            #expect(buf.text.contains("Servers") && buf.text.contains("Switch rate") && buf.text.contains("Workers"))
        } else if size.0 > 0 {
            #expect(buf.text.contains("too small"))
        }
    }
}

@Suite struct AttachedBaselineNoteTests {
    /// A replay or a live run without baselines says "no data"; attached, umcgtop runs no baselines
    /// (they would take CPU from the process watched), and the futex and condvar rows say so.
    @Test func attachedViewsSayTheBaselinesAreNotRun() {
        var model = ModelFixtures.aggregator(seconds: 0).model
        let plain = DashboardView.render(model, width: 80, height: 24).text
        #expect(plain.contains("no data") && !plain.contains("not run"))
        model.mode = .attached(pid: 42, command: "prog")
        let lines = DashboardView.render(model, width: 80, height: 24).text.split(separator: "\n")
        #expect(lines.contains { $0.contains("futex") && $0.contains("not run") }, "\(lines)")
        #expect(lines.contains { $0.contains("condvar") && $0.contains("not run") }, "\(lines)")
    }
}
