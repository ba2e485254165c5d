import CUMCGShims

/// Facts about the machine: the trace header and status line show them.
public struct HostInfo: Sendable, Equatable {
    /// uname sysname, e.g. "Linux" or "Nanos".
    public var sysname: String
    /// uname release, e.g. "6.18.44".
    public var release: String
    /// Host name.
    public var hostname: String
    /// CPUs this process may use.
    public var cpus: Int

    /// Creates host facts (tests inject these).
    public init(sysname: String, release: String, hostname: String, cpus: Int) {
        self.sysname = sysname
        self.release = release
        self.hostname = hostname
        self.cpus = cpus
    }

    /// "Linux 6.18.44".
    public var kernel: String { release.isEmpty ? sysname : "\(sysname) \(release)" }

    /// Reads uname(2) and the affinity mask of this process.
    public static func current() -> HostInfo {
        let len = 256
        var sys = [CChar](repeating: 0, count: len)
        var rel = [CChar](repeating: 0, count: len)
        var node = [CChar](repeating: 0, count: len)
        let r = sys.withUnsafeMutableBufferPointer { s in
            rel.withUnsafeMutableBufferPointer { rl in
                node.withUnsafeMutableBufferPointer { n in
                    umcg_shim_uname(s.baseAddress, rl.baseAddress, n.baseAddress, UInt64(len))
                }
            }
        }
        if r < 0 { return HostInfo(sysname: "unknown", release: "", hostname: "", cpus: CPU.count) }
        return HostInfo(
            sysname: string(sys), release: string(rel), hostname: string(node), cpus: CPU.count)
    }

    private static func string(_ chars: [CChar]) -> String {
        let bytes = chars.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        return String(decoding: bytes, as: UTF8.self)
    }
}
