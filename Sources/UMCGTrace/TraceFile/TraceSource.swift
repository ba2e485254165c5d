#if canImport(Glibc)
    import Glibc
#endif

/// The bytes a `TraceReader` reads: a file (pread(2), so reads from several threads are safe) or memory.
final class TraceSource: Sendable {
    private enum Storage {
        case file(fd: Int32)
        case memory([UInt8])
    }

    private let storage: Storage
    /// Path or "(memory)", for messages.
    let path: String
    /// Size when opened; reads never go past it.
    let size: Int

    /// Opens `path` read-only.
    init(path: String) throws(TraceFileError) {
        var fd: Int32
        repeat { fd = open(path, O_RDONLY | O_CLOEXEC) } while fd < 0 && Glibc.errno == EINTR
        if fd < 0 { throw .system(operation: "open", path: path, errno: Glibc.errno) }
        var st = stat()
        if fstat(fd, &st) != 0 {
            let code = Glibc.errno
            _ = close(fd)
            throw .system(operation: "stat", path: path, errno: code)
        }
        if st.st_mode & S_IFMT == S_IFDIR {
            _ = close(fd)
            throw .system(operation: "open", path: path, errno: EISDIR)
        }
        storage = .file(fd: fd)
        self.path = path
        size = Int(st.st_size)
    }

    /// Reads from memory.
    init(bytes: [UInt8]) {
        storage = .memory(bytes)
        path = "(memory)"
        size = bytes.count
    }

    deinit {
        if case .file(let fd) = storage { _ = close(fd) }
    }

    /// Reads `count` bytes at `offset` (fewer at the end of the source). `count` is bounded by the caller.
    func read(at offset: Int, count: Int) throws(TraceFileError) -> [UInt8] {
        let n = max(0, min(count, size - offset))
        if n == 0 { return [] }
        switch storage {
        case .memory(let bytes):
            return Array(bytes[offset..<offset + n])
        case .file(let fd):
            var buffer = [UInt8](repeating: 0, count: n)
            var done = 0
            var failure: Int32 = 0
            buffer.withUnsafeMutableBytes { raw in
                guard let base = raw.baseAddress else { return }
                while done < n {
                    let got = pread(fd, base + done, n - done, off_t(offset + done))
                    if got < 0 {
                        if Glibc.errno == EINTR { continue }
                        failure = Glibc.errno
                        return
                    }
                    if got == 0 { return }  // the file shrank since it was opened
                    done += got
                }
            }
            if failure != 0 { throw .system(operation: "read", path: path, errno: failure) }
            if done < n { buffer.removeSubrange(done...) }
            return buffer
        }
    }
}
