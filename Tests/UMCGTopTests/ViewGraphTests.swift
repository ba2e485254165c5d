import Testing
import UMCGSystem
import UMCGTrace

@testable import UMCGTop

@Suite struct ViewGraphTests {
    @Test func axisZoomsOnCloseLinesAndStartsAtZeroOtherwise() {
        let close = SwitchRatePanel.yAxis([97_000, 114_000, 110_000, 0])
        #expect(close?.lo == 90_000 && close?.hi == 120_000)
        let flatNoise = SwitchRatePanel.yAxis([498, 500, 499])
        #expect(flatNoise.map { 2 / ($0.hi - $0.lo) < 0.1 } == true)  // noise stays small on the axis
        let apart = SwitchRatePanel.yAxis([250_000, 722_000])
        #expect(apart?.lo == 0 && apart?.hi == 800_000)
        #expect(SwitchRatePanel.yAxis([0, 0]) == nil)
        let flat = SwitchRatePanel.yAxis([1_000, 1_000])
        #expect(flat.map { $0.lo < 1_000 && $0.hi > 1_000 } == true)
    }

    @Test func niceCeilingRoundsUp() {
        #expect(SwitchRatePanel.niceCeiling(722_000) == 800_000)
        #expect(SwitchRatePanel.niceCeiling(1) == 1)
        #expect(SwitchRatePanel.niceCeiling(101) == 150)
        #expect(SwitchRatePanel.niceCeiling(0) == 1)
    }

    @Test func sparklineAndBars() {
        #expect(Graphs.sparkline([0, 1, 2, 4], width: 6, ascii: false) == "  ▁▃▅█")
        #expect(Graphs.sparkline([1, 2], width: 2, ascii: true) == "+@")
        #expect(Graphs.bar(0.5, width: 4, ascii: true) == "##  ")
        #expect(Graphs.bar(0.5, width: 3, ascii: false) == "█▌ ")
        #expect(Graphs.bar(.nan, width: 2, ascii: false) == "  ")
    }

    @Test func brailleLineStaysInItsArea() {
        var b = ScreenBuffer(width: 10, height: 4)
        Graphs.lineGraph(
            [(values: [1, 5, 10, 5, 1], method: .umcg)], range: 0...10, x: 2, y: 1, width: 3, height: 2, ascii: false,
            into: &b)
        let drawn = (0..<4).flatMap { y in (0..<10).filter { b[$0, y].scalar != " " }.map { ($0, y) } }
        #expect(!drawn.isEmpty)
        #expect(drawn.allSatisfy { $0.0 >= 2 && $0.0 < 5 && $0.1 >= 1 && $0.1 < 3 })
        #expect(drawn.allSatisfy { b[$0.0, $0.1].scalar.value >= 0x2800 && b[$0.0, $0.1].style.color == .umcg })
    }

    /// Regression: two samples in a row at the bottom (values at or below the axis) indexed one row
    /// past the graph. Every shape at every size must stay inside the area.
    @Test func lineGraphNeverLeavesItsAreaAtAnySize() {
        var rng = SplitMix64(seed: 3)
        let shapes: [[Double]] = [
            [0.5, 0.5, 0.5], [10, 10, 10], [-5, -5, 20, 20, 0.1], [1, 9, 1, 9], [5],
            (0..<300).map { _ in Double(rng.next() % 1_000) / 100 },
        ]
        for width in [1, 2, 3, 8, 43] {
            for height in [1, 2, 3, 8] {
                for values in shapes {
                    for ascii in [false, true] {
                        var b = ScreenBuffer(width: width + 4, height: height + 2)
                        Graphs.lineGraph(
                            [(values: values, method: .umcg), (values: values.reversed(), method: .futex)],
                            range: 0.5...10, x: 2, y: 1, width: width, height: height, ascii: ascii, into: &b)
                        for y in 0..<b.height {
                            for x in 0..<b.width where b[x, y].scalar != " " {
                                #expect(x >= 2 && x < 2 + width && y >= 1 && y < 1 + height)
                            }
                        }
                    }
                }
            }
        }
        var flat = ScreenBuffer(width: 2, height: 1)
        Graphs.lineGraph(
            [(values: [0, 0, 0, 0], method: .umcg)], range: 0...1, x: 0, y: 0, width: 2, height: 1, ascii: false,
            into: &flat)
        #expect(flat.text == "")  // zero and negative samples are not drawn
        var bottom = ScreenBuffer(width: 2, height: 1)
        Graphs.lineGraph(
            [(values: [0.1, 0.1, 0.1, 0.1], method: .umcg)], range: 1...2, x: 0, y: 0, width: 2, height: 1,
            ascii: false, into: &bottom)
        #expect(bottom.text == "⣀⣀")  // clamped to the bottom dot row, one dot per sample
    }

    @Test func formats() {
        #expect(Format.rate(674_853) == "674.9k")
        #expect(Format.rate(1_234_567) == "1.23M")
        #expect(Format.rate(nil) == "-")
        #expect(Format.nanos(741, ascii: false) == "741ns")
        #expect(Format.nanos(1_500, ascii: true) == "1.5us")
        #expect(Format.nanos(2_300_000, ascii: false) == "2.3ms")
        #expect(Format.clock(90_000_000_000) == "01:30.0")
        #expect(Format.fixed(-0.04, 1) == "0.0")
        #expect(Format.bytes(3_456_789) == "3.3 MB")
        #expect(Format.left("abcdef", 4) == "abc…")
        #expect(Format.right("abcdef", 3) == "def")
    }
}
