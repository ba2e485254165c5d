/// The calling process's memory as the kernel reports it in /proc/self/status.
public enum ProcessMemory {
    /// VmRSS in bytes (resident set), or nil when /proc is unavailable or the line is missing.
    public static func residentBytes() -> Int? {
        guard let text = try? read("/proc/self/status") else { return nil }
        return kilobytes(of: "VmRSS:", in: text).map { $0 * 1024 }
    }

    /// AnonHugePages of /proc/self/smaps_rollup in bytes: anonymous memory on transparent huge
    /// pages (nil when unavailable).
    public static func hugePageBytes() -> Int? {
        guard let text = try? read("/proc/self/smaps_rollup") else { return nil }
        return kilobytes(of: "AnonHugePages:", in: text).map { $0 * 1024 }
    }

    /// The value in kB of a `Name:   1234 kB` line of a /proc status text.
    static func kilobytes(of field: String, in text: String) -> Int? {
        for line in text.split(separator: "\n") where line.hasPrefix(field) {
            let digits = line.dropFirst(field.count).drop { $0 == " " || $0 == "\t" }.prefix { $0.isNumber }
            return Int(digits)
        }
        return nil
    }

    static func read(_ path: String) throws(Errno) -> String {
        String(decoding: try FilePath.readSmallFile(path), as: UTF8.self)
    }
}
