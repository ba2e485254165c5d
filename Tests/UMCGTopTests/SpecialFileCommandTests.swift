import Testing
import UMCGSystem

@testable import UMCGTop

#if canImport(Glibc)
    import Glibc
#endif

/// `report` on special files: one line, exit 66, at once (a FIFO with no writer used to block in open()).
@Suite struct SpecialFileCommandTests {
    @Test func reportRefusesAFIFOWithOneLine() throws {
        let path = "/tmp/umcgtop-report-fifo-\(getpid())-\(SystemClock.monotonicNanos())"
        #expect(mkfifo(path, 0o600) == 0)
        defer { unlink(path) }
        let outcome = ReportCommand.execute(path: path, json: false)
        #expect(outcome.exitCode == ReportCommand.noInputExit)
        #expect(outcome.stdout.isEmpty)
        #expect(outcome.stderr.hasPrefix("umcgtop: error: \(path): not a regular file"))
        #expect(outcome.stderr.filter { $0 == "\n" }.count == 1)
    }

    @Test(arguments: ["/dev/zero", "/proc/self/status"])
    func reportRefusesDevicesAndProcFiles(path: String) {
        let outcome = ReportCommand.execute(path: path, json: true)
        #expect(outcome.exitCode == ReportCommand.noInputExit)
        #expect(outcome.stderr.contains("not a regular file"))
    }
}
