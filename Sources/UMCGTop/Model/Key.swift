import UMCGSystem

/// A key press as the terminal layer reports it, independent of ncurses key codes.
public enum Key: Equatable, Sendable {
    /// A printable character (letters, digits, punctuation, space).
    case char(Character)
    /// Arrow keys.
    case up, down, left, right
    /// Paging keys.
    case pageUp, pageDown, home, end
    /// Editing keys.
    case enter, escape, backspace, tab
    /// Shift-← and Shift-→ (ncurses KEY_SLEFT / KEY_SRIGHT).
    case shiftLeft, shiftRight
    /// Ctrl-C, when the terminal delivers it as a key (raw mode) rather than SIGINT.
    case ctrlC
    /// Ctrl-L: redraw everything.
    case ctrlL
    /// The terminal changed size (KEY_RESIZE).
    case resize
    /// Anything else.
    case unknown
}
