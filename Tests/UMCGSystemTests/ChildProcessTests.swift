import Testing

@testable import UMCGSystem

#if canImport(Glibc)
    import Glibc
#endif

/// `ChildProcess`: spawn, reap, signal, and the shell status of each ending.
@Suite struct ChildProcessTests {
    @Test func exitCodesAndSignalsBecomeShellStatuses() throws {
        let seven = try ChildProcess(path: "sh", arguments: ["sh", "-c", "exit 7"], environment: [])
        #expect(seven.wait() == .exited(7))
        #expect(seven.termination?.shellStatus == 7)
        let killed = try ChildProcess(path: "sh", arguments: ["sh", "-c", "kill -9 $$"], environment: [])
        #expect(killed.wait() == .signaled(9))
        #expect(killed.termination?.shellStatus == 137)
        #expect(killed.termination?.description == "killed by signal 9")
    }

    @Test func aSignalReachesTheChildEvenIfOursAreBlocked() throws {
        // The test runner's threads block signals: the child must start with an empty mask anyway.
        let child = try ChildProcess(
            path: "sh", arguments: ["sh", "-c", "exec sleep 30"], environment: [], newProcessGroup: true)
        #expect(child.poll() == nil)
        #expect(child.signal(SIGTERM) == nil)
        #expect(child.wait() == .signaled(SIGTERM))
        // Reaped: no more signals to a pid that may be reused.
        #expect(child.signal(SIGTERM) == nil)
    }

    @Test func theEnvironmentAndOutputFileAreTheOnesGiven() throws {
        let out = "/tmp/umcgtop-child-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        defer { unlink(out) }
        let child = try ChildProcess(
            path: "/bin/sh", arguments: ["sh", "-c", "echo \"$GREETING\"; echo oops >&2"],
            environment: ["GREETING=hello"], output: out)
        #expect(child.wait() == .exited(0))
        let text = String(decoding: try FilePath.readSmallFile(out), as: UTF8.self)
        #expect(text == "hello\noops\n")
    }

    @Test func aMissingProgramThrowsENOENT() {
        #expect(throws: Errno.ENOENT) {
            _ = try ChildProcess(path: "/nonexistent/program", arguments: ["x"], environment: [])
        }
    }

    @Test func waitStatusesDecode() {
        #expect(ChildProcess.Termination(waitStatus: 3 << 8) == .exited(3))
        #expect(ChildProcess.Termination(waitStatus: 15) == .signaled(15))
        #expect(ChildProcess.Termination(waitStatus: 0x137f) == nil)  // stopped by SIGSTOP
        #expect(ChildProcess.Termination(waitStatus: 0xffff) == nil)  // continued
    }
}
