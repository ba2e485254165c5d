import UMCGSystem
import UMCGTrace

/// The interactive run loop: two clocks, keys → actions → reactions, frames drawn only when needed.
///
/// - The **tick** (every `tickMillis`) drains the source into the aggregator, at most
///   `drainBudget` events per tick, so a flood of events never starves the keyboard.
/// - The **frame** closes a rate window (`Aggregator.tick`) every refresh interval and
///   draws when something changed (a key, a resize, a new window); the screen writes only changed cells.
/// Waiting for the next tick happens inside `readKey`, so a key is handled at once.
/// Threading rule: `run()` on the UI thread; it returns the process exit status.
public final class DashboardLoop {
    /// Timing knobs.
    public struct Configuration: Sendable {
        /// Drain period.
        public var tickMillis: Int = 50
        /// Rate-window / redraw period.
        public var refreshMillis: Int = 1000
        /// Most events folded per tick.
        public var drainBudget: Int = 50_000
        /// Creates a configuration.
        public init(tickMillis: Int = 50, refreshMillis: Int = 1000, drainBudget: Int = 50_000) {
            self.tickMillis = tickMillis
            self.refreshMillis = refreshMillis
            self.drainBudget = drainBudget
        }
    }

    private let screen: DashboardScreen
    private let source: EventSource
    /// The dashboard state (public for tests).
    public private(set) var aggregator: Aggregator
    private var config: Configuration
    private let clock: () -> UInt64
    private let pendingSignal: () -> Int32?
    private var meter = UICPUMeter()
    private let deadlineSeconds: Double?
    /// Frames drawn so far (tests, measurements).
    public private(set) var framesDrawn = 0
    /// Events folded so far.
    public private(set) var eventsFolded = 0

    /// Creates a loop that quits by itself after `deadline` seconds when given.
    /// `clock` is CLOCK_MONOTONIC ns; `pendingSignal` says when SIGINT/SIGTERM arrived.
    public init(
        screen: DashboardScreen, source: EventSource, aggregator: Aggregator, configuration: Configuration,
        deadline: Double? = nil,
        clock: @escaping () -> UInt64 = { SystemClock.monotonicNanos() },
        pendingSignal: @escaping () -> Int32? = { SignalMonitor.received }
    ) {
        self.screen = screen
        self.source = source
        self.aggregator = aggregator
        config = configuration
        self.clock = clock
        self.pendingSignal = pendingSignal
        deadlineSeconds = deadline
    }

    /// Runs until quit (status 0) or a signal (128 + signal number).
    public func run() -> Int32 {
        let tick = UInt64(max(1, config.tickMillis)) * 1_000_000
        var now = clock()
        let end = deadlineSeconds.map { now &+ UInt64(min($0, 1e9) * 1e9) } ?? .max
        var nextTick = now
        var nextFrame = now
        var dirty = true
        var full = true
        var lastTraceTick: UInt64 = 0
        while true {
            if let sig = pendingSignal() { return SignalMonitor.exitStatus(for: sig) }
            now = clock()
            if now >= end { return 0 }
            if now >= nextTick {
                eventsFolded += source.pump(into: &aggregator, budget: config.drainBudget, now: now)
                nextTick = now + tick
            }
            if now >= nextFrame {
                // Paused live: the aggregator keeps sampling but does not publish (nothing is lost).
                // A paused replay's clock stands still: ticking at the same instant would empty the rate windows.
                let traceNow = source.traceTime(now: now)
                if traceNow != lastTraceTick {
                    aggregator.tick(now: traceNow)
                    lastTraceTick = traceNow
                }
                if meter.sample(now: now) { aggregator.model.status.uiCPUPercent = meter.percent }
                aggregator.model.status.warning = source.note
                dirty = true
                nextFrame = now + UInt64(max(1, config.refreshMillis)) * 1_000_000
            }
            if dirty {
                let (w, h) = screen.size
                if w != aggregator.model.ui.screenWidth || h != aggregator.model.ui.screenHeight {
                    _ = aggregator.apply(.resize(width: w, height: h))
                }
                screen.draw(DashboardView.render(aggregator.model, width: w, height: h), full: full)
                framesDrawn += 1
                dirty = false
                full = false
            }
            now = clock()
            let wait = min(nextTick, nextFrame) > now ? (min(nextTick, nextFrame) - now) / 1_000_000 : 0
            var timeout = Int(wait)
            // Handle every key already typed (bounded), then go back to the clocks.
            for _ in 0..<32 {
                // Every key's work is bounded (seeks too); a signal between keys is answered at once.
                if pendingSignal() != nil { break }
                guard let key = screen.readKey(timeoutMillis: timeout) else { break }
                timeout = 0
                switch handle(key, now: clock()) {
                case .quit: return 0
                case .draw(let isFull):
                    dirty = true
                    full = full || isFull
                case .nothing: break
                }
            }
        }
    }

    private enum Outcome {
        case nothing
        case draw(full: Bool)
        case quit
    }

    /// Key → action → reaction.
    private func handle(_ key: Key, now: UInt64) -> Outcome {
        if key == .resize {
            let (w, h) = screen.size
            _ = aggregator.apply(.resize(width: w, height: h))
            return .draw(full: true)
        }
        guard let action = action(for: key, in: aggregator.model) else { return .nothing }
        switch aggregator.apply(action) {
        case .none: return .nothing
        case .redraw, .togglePause: return .draw(full: false)
        case .fullRedraw: return .draw(full: true)
        case .quit: return .quit
        case .setRefresh(let ms):
            config.refreshMillis = ms
            return .draw(full: false)
        case .replay(let command):
            return source.perform(command, aggregator: &aggregator, now: now) ? .draw(full: false) : .nothing
        }
    }
}
