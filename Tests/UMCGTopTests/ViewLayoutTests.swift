import Testing
import UMCGSystem
import UMCGTrace

@testable import UMCGTop

/// Layout details that snapshots show but do not name.
@Suite struct ViewLayoutTests {
    @Test(arguments: [false, true])
    func theSortArrowNeverEatsAHeaderLetter(ascii: Bool) {
        var m = ViewSnapshotTests.live(ascii: ascii)
        for column in [WorkerSortColumn.run, .blocked, .state, .switchRate, .p99] {
            m.ui.sortColumn = column
            let text = DashboardView.render(m, width: 120, height: 40).text
            let arrow = ascii ? "v" : "▼"
            let header = column == .state ? "S" : column.description
            #expect(
                text.contains(header + arrow) || text.contains(arrow + header),
                "\(column): header \(header) with its arrow not found")
        }
    }

    @Test(arguments: [(60, 16), (61, 17), (80, 24)])
    func theRatioLineIsNeverCut(width: Int, height: Int) {
        let m = ViewSnapshotTests.live()
        let text = DashboardView.render(m, width: width, height: height).text
        let line = text.split(separator: "\n").first { $0.contains("Switch rate") }
        #expect(line?.contains("condvar") == true, "\(String(describing: line))")
        #expect(line?.contains("futex,") == true)
    }
}
