import CNcurses
import UMCGSystem

/// Maps what `wget_wch` returns to a dashboard `Key`.
///
/// Pure: tests pass ncurses' numeric key codes (KEY_UP = 0o403, …) without a terminal.
public enum TerminalKeyDecoder {
    /// Decodes a function key (`wget_wch` returned KEY_CODE_YES).
    public static func functionKey(_ code: Int32) -> Key {
        switch code {
        case KEY_UP: .up
        case KEY_DOWN: .down
        case KEY_LEFT: .left
        case KEY_RIGHT: .right
        case KEY_SLEFT: .shiftLeft
        case KEY_SRIGHT: .shiftRight
        case KEY_PPAGE: .pageUp
        case KEY_NPAGE: .pageDown
        case KEY_HOME: .home
        case KEY_END: .end
        case KEY_ENTER: .enter
        case KEY_BACKSPACE: .backspace
        case KEY_RESIZE: .resize
        default: .unknown
        }
    }

    /// Decodes a character (`wget_wch` returned OK): control characters become keys.
    public static func character(_ code: Int32) -> Key {
        switch code {
        case 3: return .ctrlC
        case 9: return .tab
        case 10, 13: return .enter
        case 12: return .ctrlL
        case 27: return .escape
        case 8, 127: return .backspace
        default:
            guard code >= 32, let scalar = Unicode.Scalar(UInt32(bitPattern: code)) else { return .unknown }
            return .char(Character(scalar))
        }
    }
}
