import Foundation
import Testing
import UMCGEngine
import UMCGTop
import UMCGTrace

/// A published engine's rings belong to the viewer in another process: LiveSource refuses it.
@Suite struct LiveSourcePublishedTests {
    @Test func liveSourceRefusesAPublishedEngine() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("umcgtop-ls-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var c = EngineConfiguration(servers: 1, workers: 1, backend: .emulated).published()
        c.publishDirectory = dir
        let engine = try Engine(c)
        #expect(engine.isPublished)
        do {
            _ = try LiveSource(engine: engine)
            Issue.record("LiveSource accepted a published engine")
        } catch let error as EngineError {
            #expect(error.description.contains("umcgtop --attach"))
            #expect(!error.description.contains("\n"))
        }
        #expect(!engine.hasStarted)
        engine.stop()
    }
}
