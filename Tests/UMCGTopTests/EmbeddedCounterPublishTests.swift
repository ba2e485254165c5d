import Foundation
import Testing
import UMCGTrace

/// `EmbeddedCounter --publish` runs its engine published for `umcgtop --attach`: it prints the
/// region's path, a viewer in another process sees its named workers, and the file is gone at exit.
@Suite struct EmbeddedCounterPublishTests {
    static let binary = EndToEnd.packageRoot.appendingPathComponent(".build/debug/EmbeddedCounter").path

    @Test(
        .enabled(if: FileManager.default.isExecutableFile(atPath: binary), "build EmbeddedCounter first"),
        .timeLimit(.minutes(2)))
    func publishedExampleIsAttachable() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = ["4", "--publish"]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        // The first line names the region: "publishing /dev/shm/umcgtop.PID (pid PID): umcgtop --attach PID".
        var text = ""
        while !text.contains("\n") {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            text += String(decoding: chunk, as: UTF8.self)
        }
        let pid = process.processIdentifier
        let path = PublishedRegion.path(pid: pid)
        #expect(text.hasPrefix("publishing \(path) (pid \(pid))"), "\(text)")
        let viewer = try AttachedRegion.open(pid: pid)
        #expect(viewer.commandName == "EmbeddedCounter")
        #expect(viewer.targetState == .live)
        let names = try #require(try viewer.readInfo()).entities.map(\.name)
        #expect(names.contains("words-0") && names.contains("spawner"))
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        #expect(!FileManager.default.fileExists(atPath: path))
        #expect(viewer.targetState == .closed(exitStatus: nil))
        #expect((viewer.latestSnapshot()?.workers.reduce(0) { $0 + $1.switches } ?? 0) > 0)
    }
}
