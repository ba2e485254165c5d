import Testing
import UMCGSystem

@testable import UMCGTop

@Suite struct TerminalTests {
    @Test func functionKeysMapToKeys() {
        // ncurses' numeric codes (curses.h): KEY_DOWN 0o402, KEY_UP 0o403, KEY_LEFT 0o404, KEY_RIGHT 0o405,
        // KEY_HOME 0o406, KEY_BACKSPACE 0o407, KEY_NPAGE 0o522, KEY_PPAGE 0o523, KEY_ENTER 0o527,
        // KEY_END 0o550, KEY_SLEFT 0o611, KEY_SRIGHT 0o622, KEY_RESIZE 0o632.
        let expected: [(Int32, Key)] = [
            (0o402, .down), (0o403, .up), (0o404, .left), (0o405, .right), (0o406, .home),
            (0o407, .backspace), (0o522, .pageDown), (0o523, .pageUp), (0o527, .enter), (0o550, .end),
            (0o611, .shiftLeft), (0o622, .shiftRight), (0o632, .resize), (0o777, .unknown),
        ]
        for (code, key) in expected {
            #expect(TerminalKeyDecoder.functionKey(code) == key, "code \(code)")
        }
    }

    @Test func charactersMapToKeys() {
        #expect(TerminalKeyDecoder.character(3) == .ctrlC)
        #expect(TerminalKeyDecoder.character(12) == .ctrlL)
        #expect(TerminalKeyDecoder.character(10) == .enter)
        #expect(TerminalKeyDecoder.character(13) == .enter)
        #expect(TerminalKeyDecoder.character(27) == .escape)
        #expect(TerminalKeyDecoder.character(127) == .backspace)
        #expect(TerminalKeyDecoder.character(9) == .tab)
        #expect(TerminalKeyDecoder.character(Int32(UInt8(ascii: "q"))) == .char("q"))
        #expect(TerminalKeyDecoder.character(Int32(UInt8(ascii: "?"))) == .char("?"))
        #expect(TerminalKeyDecoder.character(0x00E9) == .char("é"))
        #expect(TerminalKeyDecoder.character(1) == .unknown)
        #expect(TerminalKeyDecoder.character(-5) == .unknown)
        #expect(TerminalKeyDecoder.character(0xD800) == .unknown)  // a lone surrogate is no scalar
    }

    @Test func utf8CodesetSpellings() {
        #expect(TerminalLocale.isUTF8("UTF-8"))
        #expect(TerminalLocale.isUTF8("utf8"))
        #expect(!TerminalLocale.isUTF8("ANSI_X3.4-1968"))
        #expect(!TerminalLocale.isUTF8(""))
    }

    @Test func frameDiffFindsOnlyChangedRuns() {
        var a = ScreenBuffer(width: 10, height: 3)
        a.put("hello", x: 0, y: 0)
        var b = a
        b.put("HE", x: 0, y: 0)
        b.put("x", x: 9, y: 2)
        b[4, 1] = Cell("y", style: CellStyle(color: .bad))
        let runs = FrameDiff.changedRuns(from: a, to: b)
        #expect(runs == [.init(y: 0, x: 0, count: 2), .init(y: 1, x: 4, count: 1), .init(y: 2, x: 9, count: 1)])
        #expect(FrameDiff.changedRuns(from: b, to: b).isEmpty)
    }

    @Test func frameDiffStyleOnlyChangeCounts() {
        var a = ScreenBuffer(width: 4, height: 1)
        a.put("ab", x: 0, y: 0)
        var b = ScreenBuffer(width: 4, height: 1)
        b.put("ab", x: 0, y: 0, style: CellStyle(bold: true))
        #expect(FrameDiff.changedRuns(from: a, to: b) == [.init(y: 0, x: 0, count: 2)])
    }

    @Test func frameDiffRepaintsEverythingOnResizeOrFirstFrame() {
        let a = ScreenBuffer(width: 4, height: 2)
        let b = ScreenBuffer(width: 5, height: 2)
        #expect(FrameDiff.changedRuns(from: a, to: b) == [.init(y: 0, x: 0, count: 5), .init(y: 1, x: 0, count: 5)])
        #expect(FrameDiff.changedRuns(from: nil, to: a).count == 2)
        #expect(FrameDiff.changedRuns(from: nil, to: ScreenBuffer(width: 0, height: 0)).isEmpty)
    }

    @Test func colourRolesHaveDistinctPairsWithinRange() {
        let pairs = ColorRole.allCases.map(\.rawValue)
        #expect(Set(pairs).count == pairs.count)
        #expect(pairs.min() == 0)
    }
}
