import Foundation
import Testing

/// Syscall User Dispatch (`UMCG_SUD=1`): a worker's system calls made with the raw `syscall`
/// instruction, which no libc interposer sees, still become blocking sections (sud_raw.c), and the
/// whole conformance program passes with every worker dispatched. The plain run of the same program
/// shows what the mode adds: there the raw sleep goes unseen.
@Suite(.enabled(if: Preload.libraryExists, "build the library first: swift build --product umcg (scripts/test does)"))
struct PreloadSyscallDispatchTests {
    /// sud_raw.c, compiled once per test process.
    static let program = Preload.compiled("sud_raw.c")

    @Test("UMCG_SUD=1: a raw nanosleep is BLOCK then WAKE, raw umcg_ctl works, clone from a worker runs")
    func rawSyscallsAreDispatched() throws {
        let exe = try Self.program.get()
        for _ in 0..<3 {
            let result = try Preload.runPreloaded(exe, ["dispatched"], environment: ["UMCG_SUD": "1"], timeout: 30)
            #expect(!result.timedOut, "sud_raw dispatched hung (killed after 30 s)")
            #expect(result.status == 0, "\(result.stderr)\(result.stdout)")
            #expect(result.stdout == "PASS dispatched\n")
        }
    }

    @Test("without UMCG_SUD the same raw nanosleep is not seen: the server's CTX_SWITCH ends with the WAIT")
    func rawSyscallsPassUnseenWithoutDispatch() throws {
        let exe = try Self.program.get()
        let plain = try Preload.runPreloaded(exe, ["plain"], timeout: 30)
        #expect(plain.status == 0, "\(plain.stderr)\(plain.stdout)")
        #expect(plain.stdout == "PASS plain\n")
        // And the dispatched expectations fail there: the raw sleep produced no BLOCK.
        let expectingDispatch = try Preload.runPreloaded(exe, ["dispatched"], timeout: 30)
        #expect(expectingDispatch.status != 0)
    }

    @Test("UMCG_SUD=1: every conformance case passes with its workers dispatched")
    func conformanceUnderDispatch() throws {
        let exe = try PreloadConformanceTests.program.get()
        let result = try Preload.runPreloaded(exe, [], environment: ["UMCG_SUD": "1"], timeout: 180)
        #expect(!result.timedOut, "the fork-mode runner hung under UMCG_SUD=1 (killed after 180 s)")
        #expect(result.status == 0, "\(result.stderr)\(result.stdout)")
        #expect(
            result.stdout.contains("conformance: \(PreloadConformanceTests.cases.count) passed, 0 failed"),
            "\(result.stdout)")
        #expect(!result.stderr.contains("not available"), "\(result.stderr)")
    }
}
