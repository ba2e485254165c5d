import CUMCGShims

#if canImport(Glibc)
    import Glibc
#endif

/// Who this process is, and what /proc says about other processes.
public enum ProcessIdentity {
    /// getpid(2).
    public static var id: Int32 { umcg_shim_getpid() }

    /// geteuid(2).
    public static var effectiveUserID: UInt32 { umcg_shim_geteuid() }

    /// The start time of process `pid` (field 22 of /proc/<pid>/stat, clock ticks since boot):
    /// nil when it is gone (or /proc says something unexpected). A pid reused by a new process
    /// has another start time.
    public static func startTime(of pid: Int32) -> UInt64? {
        guard pid > 0, let bytes = try? FilePath.readSmallFile("/proc/\(pid)/stat", limit: 4096) else { return nil }
        return parseStartTime(bytes)
    }

    /// Field 22 of a /proc/<pid>/stat line (the command name in field 2 may hold spaces and parentheses).
    public static func parseStartTime(_ bytes: [UInt8]) -> UInt64? {
        guard let close = bytes.lastIndex(of: UInt8(ascii: ")")) else { return nil }
        let fields = bytes[(close + 1)...].split(separator: UInt8(ascii: " "))
        // fields[0] is field 3 (state), so field 22 is fields[19].
        guard fields.count > 19 else { return nil }
        return UInt64(String(decoding: fields[19], as: UTF8.self))
    }

    /// Whether process `pid` exists (its /proc/<pid>/stat is readable).
    public static func isAlive(_ pid: Int32) -> Bool { startTime(of: pid) != nil }

    /// The command name of this process (/proc/self/comm, at most 15 bytes), "" when unknown.
    public static var commandName: String {
        guard let bytes = try? FilePath.readSmallFile("/proc/self/comm", limit: 64) else { return "" }
        return String(decoding: bytes.prefix { $0 != UInt8(ascii: "\n") && $0 != 0 }, as: UTF8.self)
    }

    /// The effective capability set of this process (CapEff of /proc/self/status), 0 when unknown.
    public static var effectiveCapabilities: UInt64 {
        guard let bytes = try? FilePath.readSmallFile("/proc/self/status") else { return 0 }
        return parseEffectiveCapabilities(String(decoding: bytes, as: UTF8.self))
    }

    /// The CapEff mask of a /proc/<pid>/status text, 0 when absent.
    public static func parseEffectiveCapabilities(_ status: String) -> UInt64 {
        for line in status.split(separator: "\n") where line.hasPrefix("CapEff:") {
            let hex = line.dropFirst("CapEff:".count).trimmingPrefix { $0 == " " || $0 == "\t" }
            return UInt64(hex, radix: 16) ?? 0
        }
        return 0
    }

    /// The value of environment variable `name`, nil when unset.
    public static func environment(_ name: String) -> String? { getenv(name).map { String(cString: $0) } }

    /// CAP_SYS_PTRACE's bit in a capability mask.
    public static let capSysPtrace: UInt64 = 1 << 19
}
