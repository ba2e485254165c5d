import UMCGAnalysis
import UMCGSystem
import UMCGTrace

/// An export output file, written under a temporary name in the output's directory and renamed onto the
/// output only when the export succeeded (`commit()`), so an interrupted or failed export never leaves a
/// plausible partial file: `discard()` removes the temporary file.
///
/// Without `force` an existing output is refused, at open and again at the rename (RENAME_NOREPLACE).
/// An output that exists and is not a regular file (a device such as /dev/null, a FIFO) is written in
/// place, since renaming over it would replace the device.
/// Written with write(2) in whole chunks, EINTR and short writes retried, through the system layer.
/// One owner at a time; `close()` once.
struct ExportFileSink: ExportByteSink {
    /// The output path, for messages.
    let path: String
    /// The file being written: a temporary name next to `path`, or `path` itself when written in place.
    let writingPath: String
    /// Whether this sink created the file it writes (only then does `discard()` delete it).
    let created: Bool
    private var fd: FileDescriptor?
    private let force: Bool

    /// Opens a temporary file next to `path` (or `path` itself for a device or FIFO): fails if `path`
    /// exists unless `force`.
    init(path: String, force: Bool) throws(ExportFailure) {
        self.path = path
        self.force = force
        switch FilePath.kind(path) {
        case .other?, .directory?:
            // A device, a FIFO or a directory: in place, as open(2) decides (EEXIST, EISDIR…).
            writingPath = path
            do {
                fd = try FileDescriptor.openForWriting(path, creation: .exclusive)
                created = true
            } catch let error where error == .EEXIST {
                guard force else { throw .outputExists(path) }
                do { fd = try FileDescriptor.openForWriting(path, creation: .truncate) } catch {
                    throw .cannotCreate(path, error.message)
                }
                created = false
            } catch {
                throw .cannotCreate(path, error.message)
            }
        case .regular?, nil:
            if !force, (try? FilePath.identity(path)) != nil { throw .outputExists(path) }
            writingPath = Self.temporaryPath(for: path)
            do {
                fd = try FileDescriptor.openForWriting(writingPath, creation: .exclusive)
            } catch {
                throw .cannotCreate(path, error.message)
            }
            created = true
        }
    }

    /// Writes all of `bytes`, retrying EINTR and short writes.
    mutating func write(_ bytes: [UInt8]) throws(ExportError) {
        guard let fd else { throw .write("\(path): already closed") }
        do { try fd.writeAll(bytes) } catch { throw .write("\(path): \(error.message)") }
    }

    /// Closes the file; reports a failed close (NFS, quota) as a write error.
    mutating func close() throws(ExportError) {
        guard let fd else { return }
        self.fd = nil
        do { try fd.close() } catch { throw .write("\(path): \(error.message)") }
    }

    /// After a successful `close()`: renames the temporary file onto the output (replacing it only with
    /// `force`). Nothing to do for a file written in place.
    mutating func commit() throws(ExportFailure) {
        guard writingPath != path else { return }
        do throws(Errno) {
            if force {
                try FilePath.rename(writingPath, to: path)
            } else {
                do throws(Errno) {
                    try FilePath.renameWithoutReplacing(writingPath, to: path)
                } catch let error where error == .EINVAL {
                    // A file system without RENAME_NOREPLACE: check, then rename.
                    if (try? FilePath.identity(path)) != nil { throw Errno.EEXIST }
                    try FilePath.rename(writingPath, to: path)
                }
            }
        } catch let error where error == .EEXIST {
            throw .outputExists(path)
        } catch {
            throw .cannotCreate(path, error.message)
        }
    }

    /// Closes (ignoring errors) and deletes the file if this sink created it: used after a failed or
    /// interrupted export. An output that existed before is left as it was (a device written in place
    /// with `--force` is left, truncated).
    mutating func discard() {
        try? fd?.close()
        fd = nil
        if created { try? FilePath.remove(writingPath) }
    }

    /// A hidden name in the directory of `path`: `.NAME.umcgtop-partial-N` (N: the monotonic clock, so two
    /// exports to one name do not collide).
    static func temporaryPath(for path: String) -> String {
        let slash = path.lastIndex(of: "/")
        let directory = slash.map { String(path[...$0]) } ?? ""
        let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
        return "\(directory).\(name).umcgtop-partial-\(SystemClock.monotonicNanos())"
    }

    /// Whether `a` and `b` name the same existing file (same device and inode).
    static func sameFile(_ a: String, _ b: String) -> Bool {
        guard let first = try? FilePath.identity(a), let second = try? FilePath.identity(b) else { return false }
        return first == second
    }
}
