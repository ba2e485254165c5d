import Glibc
import Synchronization
import UMCGSystem

/// The last SIGINT/SIGTERM/SIGHUP received, 0 for none. Written by the signal handler, read by the run loop.
private let pendingSignal = Atomic<Int32>(0)

/// Turns SIGINT, SIGTERM and SIGHUP into a flag the run loops poll, so every exit path runs the
/// same shutdown (stop sources, close the recording, restore the terminal).
///
/// Install before curses starts: ncurses then keeps our handlers instead of its own.
/// A second SIGINT or SIGTERM while the first signal is being handled restores the default action
/// and re-raises it, so a stuck shutdown can still be interrupted.
public enum SignalMonitor {
    /// SIGINT (Ctrl-C), SIGTERM (kill) and SIGHUP (the terminal went away: a closed tmux pane or ssh session).
    public static let handled: [Int32] = [SIGINT, SIGTERM, SIGHUP]

    /// Installs the handlers and unblocks both signals on the calling thread (idempotent).
    public static func install() {
        // Relaxed: touching the global here initialises it before a handler can run.
        _ = pendingSignal.load(ordering: .relaxed)
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { sig in
            // Relaxed: a lone flag; the loop acts on it, nothing else is published through it.
            // A repeated SIGHUP is not insistence: a closing terminal may send it twice (kernel and shell).
            if pendingSignal.exchange(sig, ordering: .relaxed) != 0 && sig != SIGHUP {
                Glibc.signal(sig, SIG_DFL)
                raise(sig)
            }
        }
        sigemptyset(&action.sa_mask)
        action.sa_flags = SA_RESTART
        for sig in handled { sigaction(sig, &action, nil) }
        // A closed pipe on stdout (`umcgtop --headless | head`) must end the run through the
        // normal path (EPIPE from write), so the recording is still closed cleanly.
        Glibc.signal(SIGPIPE, SIG_IGN)
        // A parent may have started us with these blocked (test runners, some spawners).
        var set = sigset_t()
        sigemptyset(&set)
        for sig in handled { sigaddset(&set, sig) }
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
    }

    /// The signal received so far, if any.
    public static var received: Int32? {
        // Relaxed: pairs with the handler's store; only the number itself is read.
        let s = pendingSignal.load(ordering: .relaxed)
        return s == 0 ? nil : s
    }

    /// Forgets a received signal (tests).
    public static func reset() {
        // Relaxed: see `received`.
        pendingSignal.store(0, ordering: .relaxed)
    }

    /// The shell convention for a run ended by `signal`: 128 + its number (SIGHUP → 129, SIGINT → 130, SIGTERM → 143).
    public static func exitStatus(for signal: Int32) -> Int32 { 128 + signal }
}
