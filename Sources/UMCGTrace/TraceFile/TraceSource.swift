import UMCGSystem

/// The bytes a `TraceReader` reads: a file (pread(2), so reads from several threads are safe) or memory.
final class TraceSource: Sendable {
    private enum Storage {
        case file(FileDescriptor)
        case memory([UInt8])
    }

    private let storage: Storage
    /// Path or "(memory)", for messages.
    let path: String
    /// Size when opened; reads never go past it.
    let size: Int

    /// Opens `path` read-only.
    init(path: String) throws(TraceFileError) {
        let fd: FileDescriptor
        // Non-blocking: opening a FIFO with no writer must not wait forever. Reads use pread on a
        // regular file, which O_NONBLOCK does not affect.
        do { fd = try FileDescriptor.openForReading(path, nonBlocking: true) } catch {
            throw .system(operation: "open", path: path, errno: error)
        }
        let status: (size: Int, kind: FileDescriptor.Kind)
        do { status = try fd.status() } catch {
            try? fd.close()
            throw .system(operation: "stat", path: path, errno: error)
        }
        if status.kind == .directory {
            try? fd.close()
            throw .system(operation: "open", path: path, errno: .EISDIR)
        }
        var probe: UInt8 = 0
        let sizeIsUnknown =
            status.kind == .regular && status.size == 0
            && ((try? withUnsafeMutableBytes(of: &probe) { try fd.read(at: 0, into: $0) }) ?? 0) > 0
        if status.kind != .regular || sizeIsUnknown {
            // /proc files are "regular" with size 0 yet have content: their size cannot be trusted.
            try? fd.close()
            throw .notRegularFile(path: path)
        }
        storage = .file(fd)
        self.path = path
        size = status.size
    }

    /// Reads from memory.
    init(bytes: [UInt8]) {
        storage = .memory(bytes)
        path = "(memory)"
        size = bytes.count
    }

    deinit {
        if case .file(let fd) = storage { try? fd.close() }
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
            var failure: Errno?
            buffer.withUnsafeMutableBytes { raw in
                while done < n {
                    let got: Int
                    do throws(Errno) {
                        got = try fd.read(
                            at: offset + done, into: UnsafeMutableRawBufferPointer(rebasing: raw[done..<n]))
                    } catch {
                        failure = error
                        return
                    }
                    if got == 0 { return }  // the file shrank since it was opened
                    done += got
                }
            }
            if let failure { throw .system(operation: "read", path: path, errno: failure) }
            if done < n { buffer.removeSubrange(done...) }
            return buffer
        }
    }
}
