import UMCGSystem

/// Where the dashboard's events come from.
public enum DashboardMode: Equatable, Sendable {
    /// The embedded engine, running now.
    case live
    /// A recorded trace file; `name` is shown in the status line.
    case replay(name: String)
    /// Another process's engine, read from its shared-memory region (`--attach PID`, `run`):
    /// the status line shows ATTACHED, its pid and its command name.
    case attached(pid: Int32, command: String)

    /// Whether this is a replay.
    public var isReplay: Bool {
        if case .replay = self { return true }
        return false
    }

    /// Whether this watches another process (`--attach`, `run`).
    public var isAttached: Bool {
        if case .attached = self { return true }
        return false
    }
}

/// How the dashboard draws and refreshes.
public struct DashboardOptions: Equatable, Sendable {
    /// Draw with ASCII only (no braille, blocks or box drawing).
    public var ascii: Bool
    /// Use colour roles (false under NO_COLOR / --no-color; the terminal then ignores roles).
    public var color: Bool
    /// Refresh interval in milliseconds (live: sampling of rates and history).
    public var refreshMillis: Int
    /// Samples kept per history series (sparklines, switch-rate graph).
    public var historyCapacity: Int

    /// The refresh steps `+` and `-` move through, in milliseconds.
    public static let refreshSteps = [250, 500, 1000, 2000, 5000]

    /// Creates options.
    public init(ascii: Bool = false, color: Bool = true, refreshMillis: Int = 1000, historyCapacity: Int = 256) {
        self.ascii = ascii
        self.color = color
        self.refreshMillis = min(max(refreshMillis, 50), 60_000)
        self.historyCapacity = min(max(historyCapacity, 2), 4096)
    }
}
