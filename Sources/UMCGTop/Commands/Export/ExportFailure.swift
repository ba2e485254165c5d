import UMCGAnalysis
import UMCGSystem
import UMCGTrace

/// Why `umcgtop export` stopped: a one-line message and a sysexits-style exit code.
public enum ExportFailure: Error, Equatable, Sendable, CustomStringConvertible {
    /// The input trace could not be opened or read (66, EX_NOINPUT).
    case unreadableInput(String)
    /// The input is not a usable trace: bad header, wrong magic, corrupt (65, EX_DATAERR).
    case badInput(String)
    /// Reading the input failed after it was opened (74, EX_IOERR).
    case readFailed(String)
    /// The output exists and `--force` was not given (73, EX_CANTCREAT).
    case outputExists(String)
    /// The output could not be created (73, EX_CANTCREAT).
    case cannotCreate(String, String)
    /// Writing the output failed (74, EX_IOERR).
    case write(String)
    /// Too many events for Chrome JSON without `--force` (1).
    case tooLarge(events: UInt64, limit: UInt64)
    /// SIGINT, SIGTERM or SIGHUP arrived during the export (128 + the signal); the partial output was removed.
    case interrupted(signal: Int32)

    /// The one-line message printed after `umcgtop: error: `.
    public var description: String {
        switch self {
        case .unreadableInput(let reason): reason
        case .badInput(let reason): reason
        case .readFailed(let reason): reason
        case .outputExists(let path): "\(path) exists; pass --force to overwrite it"
        case .cannotCreate(let path, let reason): "cannot create \(path): \(reason)"
        case .write(let reason): "write failed: \(reason)"
        case .tooLarge(let events, let limit):
            "the trace has \(events) events, more than \(limit) for Chrome JSON; use --perfetto, or --force"
        case .interrupted(let signal): "interrupted by signal \(signal); the partial output was removed"
        }
    }

    /// The process exit code.
    public var exitCode: Int32 {
        switch self {
        case .unreadableInput: 66
        case .badInput: 65
        case .outputExists, .cannotCreate: 73
        case .write, .readFailed: 74
        case .tooLarge: 1
        case .interrupted(let signal): 128 + signal
        }
    }

    /// Wraps an exporter's error.
    init(_ error: ExportError) {
        self = .write(error.description)
    }
}

/// The export formats.
public enum ExportFormat: String, Sendable, CaseIterable {
    /// Perfetto protobuf trace (`.pftrace`).
    case perfetto
    /// Chrome trace JSON.
    case chromeJSON = "chrome-json"
}

/// When a Chrome JSON export is refused or warned about (Perfetto streams any size).
public struct ExportSizePolicy: Sendable, Equatable {
    /// Above this many events Chrome JSON is refused without `--force`.
    public var refuseAbove: UInt64 = 1_000_000
    /// Above this many events Chrome JSON gets a warning.
    public var warnAbove: UInt64 = 200_000

    /// The default limits.
    public init() {}

    /// What to do with `events` events in `format`: throws `.tooLarge`, or returns a warning line (or nil).
    public func check(events: UInt64, format: ExportFormat, force: Bool) throws(ExportFailure) -> String? {
        guard format == .chromeJSON else { return nil }
        if events > refuseAbove && !force { throw .tooLarge(events: events, limit: refuseAbove) }
        if events > warnAbove {
            return
                "\(events) events make a large Chrome JSON file (~\(events * 100 / 1_000_000) MB); --perfetto is smaller"
        }
        return nil
    }
}
