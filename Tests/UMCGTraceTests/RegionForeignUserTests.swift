import Foundation
import Testing
import UMCGSystem

@testable import UMCGTrace

/// A real viewer of another uid: this test binary, run again as nobody (setpriv), tries to attach
/// to our region and must be refused with the one-line reason.
@Suite struct RegionForeignUserTests {
    static let environment = ProcessInfo.processInfo.environment
    static let setpriv = "/usr/bin/setpriv"

    /// The probe: runs only inside the child started below.
    @Test(
        .enabled(if: environment["UMCGTOP_PROBE_PID"] != nil, "runs as nobody, started by viewerOfAnotherUserIsRefused")
    )
    func probe() throws {
        let pid = try #require(Int32(Self.environment["UMCGTOP_PROBE_PID"] ?? ""))
        let dir = try #require(Self.environment["UMCGTOP_PROBE_DIR"])
        do {
            _ = try AttachedRegion.open(pid: pid, directory: dir)
            Issue.record("attached to another user's region")
        } catch {
            print("probe: \(error.kind) \(error)")
            #expect(error.kind == .permission)
        }
    }

    @Test(
        .enabled(
            if: ProcessIdentity.effectiveUserID == 0 && FileManager.default.isExecutableFile(atPath: setpriv)
                && environment["UMCGTOP_PROBE_PID"] == nil,
            "needs root and setpriv"))
    func viewerOfAnotherUserIsRefused() throws {
        let dir = RegionFixture.directory()
        defer { RegionFixture.remove(dir) }
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: dir)
        let region = try PublishedRegion.create(RegionFixture.options(dir))
        defer { region.close(exitStatus: nil) }
        let child = Process()
        child.executableURL = URL(fileURLWithPath: Self.setpriv)
        child.arguments = [
            "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all", CommandLine.arguments[0],
            "--testing-library", "swift-testing", "--filter", "RegionForeignUserTests/probe",
        ]
        var env = Self.environment
        env["UMCGTOP_PROBE_PID"] = String(RegionFixture.pid)
        env["UMCGTOP_PROBE_DIR"] = dir
        child.environment = env
        let out = Pipe()
        child.standardOutput = out
        child.standardError = out
        try child.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        child.waitUntilExit()
        #expect(child.terminationStatus == 0, "\(text)")
        #expect(
            text.contains(
                "probe: permission process \(RegionFixture.pid) belongs to uid 0, not you (uid 65534); attaching needs the same user or CAP_SYS_PTRACE"
            ), "\(text)")
    }
}
