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
