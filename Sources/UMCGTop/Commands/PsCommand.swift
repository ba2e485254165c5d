import ArgumentParser
import UMCGSystem
import UMCGTrace

/// `umcgtop ps [--json]`: the processes whose engine publishes a region (see `--attach`).
///
/// Events per second come from two reads of each region's ring write counters 0.25 s apart
/// (events published, drops included). Regions of other users are listed with the reason they
/// cannot be attached; stale regions of ours (the process died) are removed first.
public struct PsCommand: ParsableCommand {
    /// Name and help.
    public static let configuration = CommandConfiguration(
        commandName: "ps",
        abstract: "List the processes umcgtop can attach to (their engine publishes a region).",
        discussion: """
            Columns: PID, COMMAND, BACKEND, SERVERS, WORKERS, EV/S (events published per second over 0.25 s), \
            VIEWERS, STATE (live, stalled, exited, or why it cannot be attached, e.g. another user's). \
            Exit status: 0 (also when none is listed). See docs/Dashboard.md.
            """)

    @Flag(help: "Print one JSON array instead of a table.")
    public var json = false

    /// Seconds between the two reads of the event counters.
    static let rateSeconds = 0.25

    /// Creates the command.
    public init() {}

    /// Lists the regions in /dev/shm.
    public func run() throws {
        let text = Self.render(Self.sample(directory: "/dev/shm"), json: json)
        if !StandardStreams.out(text) { throw ExitCode(HeadlessRunner.brokenPipeStatus) }
    }

    /// One process as `ps` shows it.
    struct Row: Equatable {
        var listing: RegionListing
        /// Events per second over the sampling interval (nil when the second read did not see it).
        var eventsPerSecond: Double?
    }

    /// Two listings `rateSeconds` apart: the second one, with rates from the difference.
    static func sample(directory: String) -> [Row] {
        let first = RegionDirectory.list(directory: directory)
        let start = SystemClock.monotonicNanos()
        if !first.isEmpty { SystemClock.sleep(nanos: UInt64(rateSeconds * 1e9)) }
        let second = RegionDirectory.list(directory: directory)
        let elapsed = Double(SystemClock.monotonicNanos() &- start) / 1e9
        let before = Dictionary(first.map { ($0.pid, $0.eventsPublished) }, uniquingKeysWith: { a, _ in a })
        return second.map { l in
            guard l.problem == nil, let b = before[l.pid], l.eventsPublished >= b, elapsed > 0 else {
                return Row(listing: l, eventsPerSecond: nil)
            }
            return Row(listing: l, eventsPerSecond: Double(l.eventsPublished - b) / elapsed)
        }
    }

    /// What a row's STATE column says.
    static func state(_ l: RegionListing) -> String {
        if let problem = l.problem { return problem }
        return l.state?.description ?? "unknown"
    }

    /// The table or the JSON array, ending with a newline.
    static func render(_ rows: [Row], json: Bool) -> String {
        if json {
            let items: [JSONValue] = rows.map { r in
                let l = r.listing
                return .object([
                    ("pid", .int(Int64(l.pid))), ("command", .string(l.command)), ("backend", .string(l.backend)),
                    ("servers", .int(Int64(l.servers))), ("workers", .int(Int64(l.workers))),
                    ("events_per_second", r.eventsPerSecond.map { .double($0.rounded()) } ?? .null),
                    ("events_published", .uint(l.eventsPublished)), ("viewers", .int(Int64(l.viewers))),
                    ("state", l.state.map { .string($0.description) } ?? .null),
                    ("owner_uid", l.ownerUID.map { .uint(UInt64($0)) } ?? .null),
                    ("attachable", .bool(l.problem == nil)), ("problem", l.problem.map(JSONValue.string) ?? .null),
                ])
            }
            return JSONValue.array(items).rendered + "\n"
        }
        var lines = ["PID      COMMAND          BACKEND    SERVERS WORKERS        EV/S VIEWERS STATE"]
        for r in rows {
            let l = r.listing
            let rate = r.eventsPerSecond.map { Format.rate($0) } ?? "-"
            lines.append(
                pad(String(l.pid), 8) + " " + pad(l.command.isEmpty ? "?" : l.command, 16) + " "
                    + pad(l.backend.isEmpty ? "-" : l.backend, 10) + " " + padLeft(String(l.servers), 7) + " "
                    + padLeft(String(l.workers), 7) + " " + padLeft(rate, 11) + " " + padLeft(String(l.viewers), 7)
                    + " " + state(l))
        }
        if rows.isEmpty { lines.append("(no process publishes a region: start one with 'umcgtop run -- CMD')") }
        return lines.joined(separator: "\n") + "\n"
    }

    private static func pad(_ s: String, _ n: Int) -> String {
        s.count >= n ? s : s + String(repeating: " ", count: n - s.count)
    }

    private static func padLeft(_ s: String, _ n: Int) -> String {
        s.count >= n ? s : String(repeating: " ", count: n - s.count) + s
    }
}
