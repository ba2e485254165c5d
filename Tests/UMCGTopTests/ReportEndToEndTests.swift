import Foundation
import Testing
import UMCGSystem
import UMCGTrace

/// Runs the built `umcgtop report` (scripts/test builds it first); the suite is skipped, with the
/// reason, when the binary is missing.
@Suite(.enabled(if: EndToEnd.binaryExists, "build .build/debug/umcgtop first (scripts/test does)"))
struct ReportEndToEndTests {
    static func run(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: EndToEnd.binary)
        process.arguments = arguments
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (
            process.terminationStatus, String(decoding: stdout, as: UTF8.self), String(decoding: stderr, as: UTF8.self)
        )
    }

    @Test func reportRunsAsABinary() throws {
        let path = ReportCommandTests.tempPath("e2e")
        defer { unlink(path) }
        let events = try ReportCommandTests.writeTrace(path)
        let good = try Self.run(["report", path, "--json"])
        #expect(good.status == 0 && good.stderr.isEmpty)
        let object = try JSONSerialization.jsonObject(with: Data(good.stdout.utf8)) as? [String: Any]
        #expect(object?["events"] as? Int == events.count - 1)
        #expect((object?["event_counts"] as? [String: Any])?["switch"] as? Int == 1000)
        #expect((object?["per_worker"] as? [Any])?.count == 2)

        var bytes = try ReportCommandTests.bytes(of: path)
        try ReportCommandTests.write(Array(bytes.prefix(bytes.count - 30)), to: path)
        let cut = try Self.run(["report", path])
        #expect(cut.status == 0 && cut.stderr.hasPrefix("umcgtop: warning: \(path): file cut short"))

        bytes[0] = 0
        try ReportCommandTests.write(bytes, to: path)
        let bad = try Self.run(["report", path])
        #expect(bad.status == 65)
        #expect(bad.stderr == "umcgtop: error: \(path): not a umcgtrace file (bad magic) at offset 0\n")
    }
}
