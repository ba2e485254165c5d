import UMCGAnalysis
import UMCGSystem
import UMCGTrace

/// An export output file: created with O_EXCL (refuses to overwrite) unless `force`,
/// written with write(2) in whole chunks, EINTR and short writes retried.
///
/// File I/O through the system layer, like the trace file writer.
/// One owner at a time; `close()` once.
struct ExportFileSink: ExportByteSink {
    /// The output path, for messages.
    let path: String
    /// Whether this sink created the file (only then does `discard()` delete it).
    let created: Bool
    private var fd: FileDescriptor?

    /// Opens `path` for writing: fails if it exists unless `force` (then truncates it).
    init(path: String, force: Bool) throws(ExportFailure) {
        self.path = path
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

    /// Closes (ignoring errors) and deletes the file if this sink created it: used after a
    /// failed export. A file that existed before (`--force`) is left, truncated.
    mutating func discard() {
        try? fd?.close()
        fd = nil
        if created { try? FilePath.remove(path) }
    }

    /// Whether `a` and `b` name the same existing file (same device and inode).
    static func sameFile(_ a: String, _ b: String) -> Bool {
        guard let first = try? FilePath.identity(a), let second = try? FilePath.identity(b) else { return false }
        return first == second
    }
}
