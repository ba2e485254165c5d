import CUMCGShims

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

    /// Reads a small file (at most 64 KiB) in full.
    static func read(_ path: String) throws(Errno) -> String {
        let fd = umcg_shim_open_readonly(path)
        guard fd >= 0 else { throw Errno(rawValue: -fd) }
        defer { _ = umcg_shim_close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while bytes.count < 64 << 10 {
            let n = chunk.withUnsafeMutableBytes { umcg_shim_read(fd, $0.baseAddress, UInt64($0.count)) }
            if n == -Int64(Errno.EINTR.rawValue) { continue }
            guard n >= 0 else { throw Errno(rawValue: Int32(truncatingIfNeeded: -n)) }
            if n == 0 { break }
            bytes.append(contentsOf: chunk[0..<Int(n)])
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
