import UMCGSystem

/// What the run loop needs from a terminal: its size, keys with a timeout, and drawing a frame.
///
/// `NcursesScreen` is the real one; tests drive the loop with a fake.
/// Threading rule: one thread (the UI thread) calls every method.
public protocol DashboardScreen: AnyObject {
    /// Current size in cells.
    var size: (width: Int, height: Int) { get }
    /// Waits up to `timeoutMillis` for a key; nil when none arrived.
    func readKey(timeoutMillis: Int) -> Key?
    /// Shows `frame`; `full` repaints every cell (Ctrl-L, resize).
    func draw(_ frame: ScreenBuffer, full: Bool)
    /// Gives the terminal back to the shell (idempotent).
    func restore()
}
