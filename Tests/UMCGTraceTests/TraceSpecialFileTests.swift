import Testing
import UMCGSystem

@testable import UMCGTrace

#if canImport(Glibc)
    import Glibc
#endif

/// Special files are refused at once with one line, never read as a short trace or waited on.
@Suite struct TraceSpecialFileTests {
    @Test func aFIFOWithNoWriterIsRefusedWithoutBlocking() throws {
        let path = "/tmp/umcgtop-fifo-\(getpid())-\(SystemClock.monotonicNanos())"
        #expect(mkfifo(path, 0o600) == 0)
        defer { unlink(path) }
        #expect(throws: TraceFileError.notRegularFile(path: path)) { try TraceReader.open(path: path) }
    }

    @Test(arguments: ["/dev/zero", "/dev/null", "/proc/self/status"])
    func devicesAndProcFilesAreRefused(path: String) throws {
        #expect(throws: TraceFileError.notRegularFile(path: path)) { try TraceReader.open(path: path) }
        let error = TraceFileError.notRegularFile(path: path)
        #expect(error.description.hasPrefix(path + ": not a regular file"))
        #expect(!error.description.contains("\n"))
    }

    @Test func anEmptyRegularFileIsStillTooShort() throws {
        let path = "/tmp/umcgtop-empty-\(getpid())-\(SystemClock.monotonicNanos())"
        let fd = try FileDescriptor.openForWriting(path, creation: .exclusive)
        try fd.close()
        defer { unlink(path) }
        #expect(throws: TraceFileError.self) { try TraceReader.open(path: path) }
        do {
            _ = try TraceReader.open(path: path)
        } catch {
            #expect(error.offset == 0)  // a data error ("file too short"), not a special file
        }
    }
}
