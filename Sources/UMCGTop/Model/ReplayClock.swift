import UMCGSystem

/// The replay's virtual clock: a position in trace time that advances with wall time × speed.
///
/// Pure value type: the app advances it every tick, feeds events up to `position`, and
/// rebuilds its aggregator from the nearest keyframe when `perform` reports a backward jump.
/// The position stays within [start, end]; reaching the end pauses.
public struct ReplayClock: Equatable, Sendable {
    /// First timestamp of the trace (ns).
    public let start: UInt64
    /// Last timestamp of the trace (ns), ≥ start.
    public let end: UInt64
    /// Current trace time (ns), within [start, end].
    public private(set) var position: UInt64
    /// Playback speed, one of `speeds`.
    public private(set) var speed: Double
    /// Whether the clock advances.
    public private(set) var playing: Bool

    /// The speeds `+` and `-` step through.
    public static let speeds: [Double] = [0.25, 0.5, 1, 2, 4, 8, 16, 32, 64]

    /// Creates a clock at `start`, playing at 1× (or paused if the trace is empty).
    public init(start: UInt64, end: UInt64, speed: Double = 1, playing: Bool = true) {
        self.start = start
        self.end = max(start, end)
        position = start
        self.speed = Self.nearestSpeed(speed)
        self.playing = playing && end > start
    }

    /// ns from the start to the position.
    public var elapsed: UInt64 { position - start }
    /// Length of the trace in ns.
    public var duration: UInt64 { end - start }
    /// Whether the position is at the end.
    public var atEnd: Bool { position >= end }

    /// Moves forward by `wallNanos` × speed when playing; pauses at the end.
    public mutating func advance(byWallNanos wallNanos: UInt64) {
        guard playing else { return }
        // In integers, saturating: a Double near 2^64 rounds, and `end - position` must bound the step exactly.
        let product = Double(wallNanos) * speed
        let step = product >= 18_446_744_073_709_549_568 ? UInt64.max : UInt64(max(0, product))
        if step >= end - position {
            position = end
            playing = false
        } else {
            position += step
        }
    }

    /// Jumps to `target`, clamped to [start, end].
    public mutating func seek(to target: UInt64) {
        position = min(max(target, start), end)
        if atEnd { playing = false }
    }

    /// Jumps by a signed amount of trace time, clamped.
    public mutating func seek(byNanos delta: Int64) {
        if delta >= 0 {
            let d = UInt64(delta)
            seek(to: end - position <= d ? end : position + d)
        } else {
            let d = delta.magnitude
            seek(to: position - start <= d ? start : position - d)
        }
    }

    /// Pauses and moves to the next event's timestamp (nil: no more events → the end).
    public mutating func stepOne(nextEventAt next: UInt64?) {
        playing = false
        seek(to: next.map { max($0, position) } ?? end)
    }

    /// Plays or pauses; playing at the end restarts from the start.
    public mutating func togglePlay() {
        if playing {
            playing = false
        } else {
            if atEnd { position = start }
            playing = end > start
        }
    }

    /// Doubles the speed (max 64×).
    public mutating func faster() {
        let i = Self.speeds.firstIndex(of: speed) ?? 2
        speed = Self.speeds[min(i + 1, Self.speeds.count - 1)]
    }

    /// Halves the speed (min 0.25×).
    public mutating func slower() {
        let i = Self.speeds.firstIndex(of: speed) ?? 2
        speed = Self.speeds[max(i - 1, 0)]
    }

    /// Applies a replay command; returns true when the position moved backwards
    /// (the app must rebuild its aggregator from a keyframe at or before `position`).
    @discardableResult
    public mutating func perform(_ command: ReplayCommand, nextEventAt next: UInt64? = nil) -> Bool {
        let before = position
        switch command {
        case .togglePlay: togglePlay()
        case .seek(let delta): seek(byNanos: delta)
        case .seekToStart: seek(to: start)
        case .seekToEnd: seek(to: end)
        case .stepOne: stepOne(nextEventAt: next)
        case .faster: faster()
        case .slower: slower()
        }
        return position < before
    }

    /// The status-line facts for this clock.
    public var status: ReplayStatus {
        ReplayStatus(positionNanos: elapsed, durationNanos: duration, speed: speed, playing: playing)
    }

    private static func nearestSpeed(_ s: Double) -> Double {
        speeds.min(by: { abs($0 - s) < abs($1 - s) }) ?? 1
    }
}
