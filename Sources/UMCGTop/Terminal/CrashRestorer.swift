import CNcurses
import Glibc
import UMCGSystem

/// What the fatal-signal handler needs, prepared while curses starts (the handler only reads it).
private final class CrashState: @unchecked Sendable {
    // SAFETY: written once by `CrashRestorer.arm` before the handlers are installed, then only read
    // (by the async-signal-safe handler); `armed` is the one field changed later, by `disarm`.
    let termios = UnsafeMutablePointer<termios>.allocate(capacity: 1)
    let bytes = UnsafeMutablePointer<UInt8>.allocate(capacity: 256)
    var count = 0
    var armed = false
}

private let crashState = CrashState()

/// Gives the terminal back when umcgtop dies from a fatal signal (a trap, SIGSEGV, SIGBUS, SIGFPE,
/// SIGABRT, SIGQUIT): the normal exit paths restore it through `TerminalGuard`, but a crash never
/// reaches them.
///
/// The handler uses only async-signal-safe calls: write(2) of bytes prepared in advance (leave the
/// alternate screen, show the cursor, reset attributes) and tcsetattr(3) with the terminal modes saved
/// before curses started; then the signal's default action runs (SA_RESETHAND) and the process dies
/// as it would have.
enum CrashRestorer {
    static let signals: [Int32] = [SIGILL, SIGTRAP, SIGSEGV, SIGBUS, SIGFPE, SIGABRT, SIGQUIT]

    /// Saves the terminal modes; call before curses changes them.
    static func saveModes() {
        _ = tcgetattr(0, crashState.termios)
    }

    /// Prepares the reset bytes from terminfo (after curses started) and installs the handlers.
    static func arm() {
        var text = ""
        for cap in ["rmcup", "cnorm", "sgr0"] {
            if let s = umcg_tigetstr(cap) { text += String(cString: s) }
        }
        text += "\r\n"
        let utf8 = Array(text.utf8.prefix(256))
        for (i, b) in utf8.enumerated() { crashState.bytes[i] = b }
        crashState.count = utf8.count
        crashState.armed = true
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { sig in
            if crashState.armed {
                _ = write(2, crashState.bytes, crashState.count)
                _ = tcsetattr(0, TCSANOW, crashState.termios)
            }
            // SA_RESETHAND restored the default action: re-raise so the process dies of `sig`.
            raise(sig)
        }
        sigemptyset(&action.sa_mask)
        action.sa_flags = Int32(truncatingIfNeeded: SA_RESETHAND)
        for sig in signals { sigaction(sig, &action, nil) }
        // The SIGBUS above replaced the region guard's handler if a region was attached already:
        // put the guard on top (it chains to ours, SA_RESETHAND kept, for faults outside regions).
        try? RegionGuard.install()
    }

    /// After a normal restore: the handler no longer touches the terminal.
    static func disarm() {
        crashState.armed = false
    }
}
