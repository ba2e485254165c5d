import Synchronization
import Testing

@testable import UMCGSystem

@Suite struct SyscallTests {
    @Test func negativeResultsBecomeErrnoAndEINTRIsRetried() throws {
        var calls = 0
        let value = try Syscall.valueOrErrno { () -> Int32 in
            calls += 1
            return calls < 3 ? -Errno.EINTR.rawValue : 7
        }
        #expect(value == 7)
        #expect(calls == 3)
        #expect(throws: Errno.EINTR) { try Syscall.valueOrErrno(retryOnInterrupt: false) { -Errno.EINTR.rawValue } }
        #expect(throws: Errno.EBADF) { try Syscall.valueOrErrno { Int64(-9) } }
    }

    @Test func errnoNamesAndMessages() {
        #expect(Errno.ENOSPC.name == "ENOSPC")
        #expect(Errno.ENOSPC.explanation == "No space left on device (ENOSPC)")
        #expect(Errno(rawValue: 4095).name == "errno 4095")
        #expect(Errno.EINVAL.description == "EINVAL")
    }
}

@Suite struct FileDescriptorTests {
    @Test func writeReadStatAndErrors() throws {
        let path = "/tmp/umcgsystem-\(ThreadID.current())-\(SystemClock.monotonicNanos()).bin"
        let out = try FileDescriptor.openForWriting(path, creation: .exclusive, permissions: 0o600)
        defer { try? FilePath.remove(path) }
        try out.writeAll("hello, world")
        try out.sync()
        try out.truncate(to: 5)
        try out.close()
        #expect(throws: Errno.EEXIST) { try FileDescriptor.openForWriting(path, creation: .exclusive) }
        let input = try FileDescriptor.openForReading(path)
        defer { try? input.close() }
        let status = try input.status()
        #expect(status.size == 5)
        #expect(status.kind == .regular)
        var buffer = [UInt8](repeating: 0, count: 16)
        let n = try buffer.withUnsafeMutableBytes { try input.read(at: 1, into: $0) }
        #expect(Array(buffer[0..<n]) == Array("ello".utf8))
        #expect(throws: Errno.ENOENT) { try FileDescriptor.openForReading(path + ".missing") }
        #expect(try FileDescriptor.openForReading("/tmp").status().kind == .directory)
    }

    @Test func pipeCarriesBytes() throws {
        let (r, w) = try FileDescriptor.pipe()
        defer {
            try? r.close()
            try? w.close()
        }
        try w.writeAll([1, 2, 3])
        var buffer = [UInt8](repeating: 0, count: 8)
        let n = try buffer.withUnsafeMutableBytes { try r.read(into: $0) }
        #expect(Array(buffer[0..<n]) == [1, 2, 3])
        #expect(!r.isTerminal)
    }
}

@Suite struct ThreadTests {
    @Test func threadsCarryTheirNames() throws {
        let seen = ThreadLock<String>("")
        let t = try OSThread(name: "umcg-test-worker-long-name") { seen.withLock { $0 = ThreadName.current() } }
        t.join()
        // The kernel keeps 15 bytes.
        #expect(seen.withLock { $0 } == "umcg-test-worke")
    }

    @Test func namesAreCutOnCharacterBoundaries() throws {
        let seen = ThreadLock<String>("")
        let t = try OSThread(name: "名前名前名前") { seen.withLock { $0 = ThreadName.current() } }
        t.join()
        #expect(seen.withLock { $0 } == "名前名前名")  // 15 bytes = 5 three-byte characters
    }

    @Test func residentPagesCountsTouchedMemory() throws {
        let page = Mapping.pageSize
        let length = 64 * page
        let memory = try Mapping.anonymous(length: length)
        defer { Mapping.unmap(memory, length: length) }
        #expect(try Mapping.residentPages(memory, length: length) == 0)
        for i in stride(from: 0, to: 8 * page, by: page) { memory.storeBytes(of: 1, toByteOffset: i, as: UInt8.self) }
        #expect(try Mapping.residentPages(memory, length: length) == 8)
    }

    @Test func cpuMaskListsAllowedCPUs() {
        let cpus = CPU.allowed()
        #expect(cpus.count == CPU.count)
        #expect(cpus == cpus.sorted())
    }
}
