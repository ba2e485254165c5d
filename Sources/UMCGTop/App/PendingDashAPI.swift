// TEMPORARY: stand-ins for the `dash` branch's model API (Key, Aggregator, …) so the
// terminal layer and run loop compile before that branch lands. Deleted at the merge.
import UMCGTrace

/// A key press (stand-in).
public enum Key: Equatable, Sendable {
    case char(Character), up, down, left, right, pageUp, pageDown, home, end, enter, escape, backspace, tab
    case shiftLeft, shiftRight, ctrlC, ctrlL, resize, unknown
}

/// Live or replay (stand-in).
public enum DashboardMode: Sendable, Equatable { case live, replay(name: String) }

/// Display options (stand-in).
public struct DashboardOptions: Sendable {
    public var ascii: Bool
    public var color: Bool
    public var refreshMillis: Int
    /// Creates options.
    public init(ascii: Bool = false, color: Bool = true, refreshMillis: Int = 1000) {
        self.ascii = ascii
        self.color = color
        self.refreshMillis = refreshMillis
    }
}

/// A replay command (stand-in).
public enum ReplayCommand: Sendable, Equatable {
    case togglePlay, seekRelative(Int64), seekStart, seekEnd, stepOne, faster, slower
}

/// A reaction (stand-in).
public enum Reaction: Sendable, Equatable {
    case none, redraw, fullRedraw, quit, togglePause, setRefresh(Int), replay(ReplayCommand)
}

/// An action (stand-in).
public enum Action: Sendable, Equatable { case quit, help, pause, redraw, replay(ReplayCommand) }

/// The model (stand-in).
public struct DashboardModel: Sendable {
    public var events: Int = 0
    public var paused = false
    public var showHelp = false
    public var uiCPUPercent: Double = 0
    public var warning: String?
    public var replayPositionNanos: UInt64 = 0
    public var recordingBytes: UInt64 = 0

    /// Applies an action.
    public mutating func apply(_ action: Action) -> Reaction {
        switch action {
        case .quit: return .quit
        case .help: showHelp.toggle(); return .redraw
        case .pause: paused.toggle(); return .togglePause
        case .redraw: return .fullRedraw
        case .replay(let c): return .replay(c)
        }
    }
}

/// The keymap (stand-in).
public func action(for key: Key, in model: DashboardModel) -> Action? {
    switch key {
    case .char("q"), .ctrlC: .quit
    case .char("?"): .help
    case .char(" "): .pause
    case .ctrlL: .redraw
    case .right: .replay(.seekRelative(1_000_000_000))
    case .left: .replay(.seekRelative(-1_000_000_000))
    case .char("G"): .replay(.seekEnd)
    case .char("g"): .replay(.seekStart)
    default: nil
    }
}

/// The aggregator (stand-in).
public final class Aggregator {
    public var model = DashboardModel()
    public let info: RunInfo
    /// Creates an aggregator.
    public init(info: RunInfo, mode: DashboardMode, options: DashboardOptions) { self.info = info }
    /// Folds one event.
    public func ingest(_ event: TraceEvent) { model.events += 1 }
    /// Folds lossless counters.
    public func ingest(snapshot: Snapshot) {}
    /// Closes a rate window.
    public func tick(now: UInt64) {}
}

/// The replay clock (stand-in).
public struct ReplayClock: Sendable {
    public var start: UInt64
    public var end: UInt64
    public var position: UInt64
    public var speed: Double = 1
    public var playing = true
    /// Creates a clock.
    public init(start: UInt64, end: UInt64) {
        self.start = start
        self.end = end
        position = start
    }
    /// Advances.
    public mutating func advance(byWallNanos n: UInt64) {
        guard playing else { return }
        position = min(end, position &+ UInt64(Double(n) * speed))
        if position >= end { playing = false }
    }
    /// Seeks.
    public mutating func seek(to t: UInt64) { position = min(max(t, start), end) }
}

/// The views (stand-in).
public enum DashboardView {
    /// Renders the model.
    public static func render(_ model: DashboardModel, width: Int, height: Int) -> ScreenBuffer {
        var b = ScreenBuffer(width: width, height: height)
        if width < 60 || height < 16 {
            b.put("terminal too small (need 60×16, have \(width)×\(height))", x: 0, y: height / 2)
            return b
        }
        b.put("UMCGTOP events \(model.events) ui \(model.uiCPUPercent)", x: 0, y: 0)
        b.put("Servers", x: 0, y: 1)
        b.put("Switch rate futex condvar", x: 0, y: 5)
        b.put("Workers", x: 0, y: 9)
        if model.showHelp { b.put("Help: q quit", x: 5, y: 12) }
        return b
    }
}
