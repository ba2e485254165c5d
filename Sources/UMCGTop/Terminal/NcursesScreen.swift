import CNcurses
import UMCGSystem

/// Errors starting the terminal.
public enum TerminalError: Error, Equatable, CustomStringConvertible {
    /// stdin or stdout is not a terminal.
    case notATerminal
    /// ncurses could not start (TERM unknown or unusable).
    case cannotStart(term: String)

    /// One line, without the "umcgtop: error: " prefix.
    public var description: String {
        switch self {
        case .notATerminal: "not a terminal; use --headless for scripts"
        case .cannotStart(let term): "cannot start the terminal (TERM=\(term.isEmpty ? "unset" : term))"
        }
    }
}

/// The ncurses screen: the only type that draws.
///
/// Threading rule: created, used and restored on one thread (ncurses is not thread-safe).
/// Cells are written only where the frame differs from the previous one.
public final class NcursesScreen: DashboardScreen {
    // SAFETY: both pointers are owned by ncurses for the life of this screen and only
    // touched from the UI thread (see the threading rule).
    private let screen: OpaquePointer
    private let window: UnsafeMutablePointer<WINDOW>
    private let useColor: Bool
    private let unicode: Bool
    private var previous: ScreenBuffer?
    private var restored = false

    /// Starts curses on stdin/stdout. `color` false or NO_COLOR → no colours; `unicode` false → non-ASCII cells print as `?`.
    public init(color: Bool, unicode: Bool, environment: [String: String]) throws(TerminalError) {
        CrashRestorer.saveModes()
        guard let scr = umcg_newterm() else { throw .cannotStart(term: environment["TERM"] ?? "") }
        screen = scr
        // A terminal without cursor addressing (TERM=dumb, a printer) cannot draw a dashboard: every
        // frame would run into one line. Refuse it like an unknown TERM.
        guard umcg_tigetstr("cup") != nil, let win = umcg_stdscr() else {
            endwin()
            delscreen(scr)
            throw .cannotStart(term: environment["TERM"] ?? "")
        }
        window = win
        self.unicode = unicode
        cbreak()
        noecho()
        nonl()
        keypad(win, true)
        _ = curs_set(0)
        set_escdelay(25)
        CrashRestorer.arm()
        let wantColor = color && (environment["NO_COLOR"] ?? "").isEmpty
        if wantColor, has_colors() {
            start_color()
            use_default_colors()
            for role in ColorRole.allCases where role != .normal {
                init_pair(Int16(role.rawValue), Self.foreground(role), -1)
            }
            useColor = umcg_color_pairs() > Int32(ColorRole.allCases.count)
        } else {
            useColor = false
        }
    }

    deinit { restore() }

    /// The foreground colour of a role (the background stays the terminal's).
    static func foreground(_ role: ColorRole) -> Int16 {
        switch role {
        case .normal, .dim: -1
        case .header, .futex: Int16(COLOR_CYAN)
        case .accent, .warn: Int16(COLOR_YELLOW)
        case .good, .umcg: Int16(COLOR_GREEN)
        case .bad: Int16(COLOR_RED)
        case .condvar: Int16(COLOR_MAGENTA)
        }
    }

    /// The window size in cells (ncurses updates it on KEY_RESIZE).
    public var size: (width: Int, height: Int) {
        (Int(umcg_getmaxx(window)), Int(umcg_getmaxy(window)))
    }

    /// wget_wch with a timeout, decoded by `TerminalKeyDecoder`.
    public func readKey(timeoutMillis: Int) -> Key? {
        wtimeout(window, Int32(clamping: max(0, timeoutMillis)))
        var code: Int32 = 0
        let r = umcg_get_wch(window, &code)
        if r == umcg_err() { return nil }
        if r == umcg_key_code_yes() { return TerminalKeyDecoder.functionKey(code) }
        return TerminalKeyDecoder.character(code)
    }

    /// Writes the cells that differ from the previous frame (all of them when `full` or resized), then refreshes.
    public func draw(_ frame: ScreenBuffer, full: Bool) {
        let (w, h) = size
        if full || previous == nil || previous?.width != frame.width || previous?.height != frame.height {
            werase(window)
            if full { clearok(window, true) }
            previous = nil
        }
        for run in FrameDiff.changedRuns(from: previous, to: frame) where run.y < h {
            // A run starting on the right half of a wide character redraws the character from its left half.
            let first = run.x > 0 && frame[run.x, run.y].isContinuation ? run.x - 1 : run.x
            for x in first..<min(run.x + run.count, w) {
                put(frame, x: x, y: run.y, width: w)
            }
        }
        previous = frame
        wnoutrefresh(window)
        doupdate()
    }

    /// Writes the cell at (x, y): the right half of a wide character is drawn by its left half, and a wide
    /// character never goes in the last column (it would wrap, and on the last row scroll the terminal).
    private func put(_ frame: ScreenBuffer, x: Int, y: Int, width: Int) {
        var cell = frame[x, y]
        if cell.isContinuation {
            // ASCII mode drew the left half as one "?": fill the right half too.
            guard !unicode else { return }
            cell.scalar = "?"
        }
        if x + 1 >= width && DisplayWidth.of(cell.scalar) != 1 { cell.scalar = " " }
        put(cell, x: x, y: y)
    }

    private func put(_ cell: Cell, x: Int, y: Int) {
        var attr = umcg_a_normal()
        if cell.style.bold { attr |= umcg_a_bold() }
        if cell.style.reverse { attr |= umcg_a_reverse() }
        if cell.style.underline { attr |= umcg_a_underline() }
        if cell.style.color == .dim { attr |= umcg_a_dim() }
        let pair: Int16 = useColor ? Int16(cell.style.color.rawValue) : 0
        var value = cell.scalar.value
        if value < 32 || value == 127 || (!unicode && value > 126) { value = UInt32(UInt8(ascii: "?")) }
        // The bottom-right cell returns ERR (the cursor cannot advance) but is written: ignore the result.
        _ = umcg_put_wch(window, Int32(y), Int32(x), wchar_t(bitPattern: value), attr, pair)
    }

    /// endwin once: cursor back, shell modes back, alternate screen left.
    public func restore() {
        guard !restored else { return }
        restored = true
        CrashRestorer.disarm()
        _ = curs_set(1)
        endwin()
        delscreen(screen)
    }
}
