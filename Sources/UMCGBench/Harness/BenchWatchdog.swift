import Synchronization
import UMCGSystem

/// A ping-pong that stopped making progress: its threads were abandoned (never joined).
public struct BenchStuck: Error, Sendable, Equatable, CustomStringConvertible {
    /// How long the watchdog saw no new cycle, in seconds.
    public var seconds: Double
    /// Cycles completed before it stopped.
    public var cycles: UInt64

    /// Creates the record.
    public init(seconds: Double, cycles: UInt64) {
        self.seconds = seconds
        self.cycles = cycles
    }

    /// One line.
    public var description: String {
        "no progress for \(BenchWatchdog.decimal(seconds)) s after \(cycles) cycles; its threads were abandoned"
    }
}

/// Runs a measurement on a thread of its own and watches the cycles it publishes to a
/// `PingPongControl`: when none is added for `stuckNanos`, it asks the run to stop, gives up on
/// it and throws `BenchStuck`. The abandoned threads are never joined (a lost futex wake-up never
/// returns): the `OSThread` is dropped, which detaches it, and the process can still exit (exit
/// ends every thread).
///
/// Threading rule: `run` is called from one thread at a time per measurement; it starts one thread.
public enum BenchWatchdog {
    /// The default time without progress before a run counts as stuck (`bench --stuck-seconds`).
    public static let defaultStuckSeconds = 5.0

    /// How often the caller looks at the published cycles.
    static let pollNanos: UInt64 = 50_000_000

    /// The result of the measured thread and the word the caller sleeps on until it is there.
    private final class Outcome<T: Sendable>: Sendable {
        let result = ThreadLock<Result<T, any Error>?>(nil)
        // word32(0): 1 once `result` is set (the caller's futex word).
        let words = PaddedWords(words32: 1, words64: 0)

        func finish(_ r: Result<T, any Error>) {
            result.withLock { $0 = r }
            // Releasing: pairs with the caller's acquiring load in `run`; the lock orders `result` too.
            words.word32(0).pointee.store(1, ordering: .releasing)
            BaselineFutex.wake(words.word32(0))
        }

        var isDone: Bool {
            // Acquiring: pairs with `finish`'s releasing store.
            words.word32(0).pointee.load(ordering: .acquiring) != 0
        }
    }

    /// Runs `body(control)` on a fresh thread named `name` and returns its result, or throws
    /// `BenchStuck` once `control.publishedCycles` has not changed for `stuckNanos`.
    public static func run<T: Sendable>(
        name: String = "bench-case", stuckNanos: UInt64, _ body: @escaping @Sendable (PingPongControl) throws -> T
    ) throws -> T {
        let control = PingPongControl()
        let outcome = Outcome<T>()
        let thread = try BaselineThread.start(name: name) {
            let r: Result<T, any Error>
            do { r = .success(try body(control)) } catch { r = .failure(error) }
            outcome.finish(r)
        }
        var seen = control.publishedCycles
        var lastProgress = SystemClock.monotonicNanos()
        while !outcome.isDone {
            _ = try? Futex.wait(Futex.address(of: outcome.words.word32(0)), expected: 0, timeout: pollNanos)
            let now = SystemClock.monotonicNanos()
            let cycles = control.publishedCycles
            if cycles != seen {
                seen = cycles
                lastProgress = now
            } else if !outcome.isDone, now &- lastProgress >= stuckNanos {
                // Ask a slow run to end; a stuck one never reads it. `thread` is not joined.
                control.requestStop()
                throw BenchStuck(seconds: Double(now &- lastProgress) / 1e9, cycles: cycles)
            }
        }
        thread.join()
        guard let r = outcome.result.withLock({ $0 }) else { throw BenchRunError(description: "no result") }
        return try r.get()
    }

    /// `value` with at most one decimal ("2", "0.5").
    static func decimal(_ value: Double) -> String {
        let tenths = (value * 10).rounded()
        guard tenths.isFinite, abs(tenths) < 1e15 else { return "\(value)" }
        let n = Int64(tenths)
        return n % 10 == 0 ? "\(n / 10)" : "\(n / 10).\(abs(n % 10))"
    }
}
