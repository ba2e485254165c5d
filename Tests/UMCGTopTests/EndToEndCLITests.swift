import Foundation
import Testing

@Suite(.enabled(if: EndToEnd.binaryExists, "build .build/debug/umcgtop first (scripts/test does)"))
struct EndToEndCLITests {
    @Test func notATerminalIsAOneLineError() throws {
        let r = try EndToEnd.run([], timeout: 30)
        #expect(!r.timedOut)
        #expect(r.status == 1)
        #expect(r.stderr == "umcgtop: error: not a terminal; use --headless for scripts\n")
        #expect(r.stdout.isEmpty)
    }

    @Test func validationErrorExitsNonZero() throws {
        let r = try EndToEnd.run(["--headless", "--workers", "0"], timeout: 30)
        #expect(r.status != 0)
        #expect(r.stderr.contains("--workers must be at least 1"))
    }
}
