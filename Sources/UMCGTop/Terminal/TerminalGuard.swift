import UMCGSystem

/// Restores the terminal on every exit path: call `restore()` in a `defer` right after creating it.
///
/// Signals (SIGINT, SIGTERM) never jump out of the run loop: they set a flag the loop checks,
/// the loop returns, and the same `defer` runs.
public final class TerminalGuard {
    private let screen: DashboardScreen
    private var done = false

    /// Guards `screen`.
    public init(_ screen: DashboardScreen) { self.screen = screen }

    /// Ends curses once; later calls do nothing.
    public func restore() {
        guard !done else { return }
        done = true
        screen.restore()
    }

    /// True when both stdin and stdout are terminals (checked before any curses call).
    public static var stdioIsTerminal: Bool {
        FileDescriptor(rawValue: 0).isTerminal && FileDescriptor(rawValue: 1).isTerminal
    }
}
