import CUMCGShims

extension FilePath {
    /// The target of the symbolic link at `path` (e.g. /proc/self/exe), at most 4,095 bytes.
    public static func readLink(_ path: String) throws(Errno) -> String {
        var buffer = [CChar](repeating: 0, count: 4096)
        let n = try Syscall.valueOrErrno { umcg_shim_readlink(path, &buffer, UInt64(buffer.count - 1)) }
        let bytes = buffer[0..<Int(n)].map { UInt8(bitPattern: $0) }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The running program's file (/proc/self/exe), nil when it cannot be read.
    public static var executable: String? { try? readLink("/proc/self/exe") }
}
