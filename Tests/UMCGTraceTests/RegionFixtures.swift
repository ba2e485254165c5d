import Foundation
import UMCGSystem

@testable import UMCGTrace

/// A fresh directory for region files (regions of tests never go to /dev/shm).
enum RegionFixture {
    static func directory(_ name: String = #function) -> String {
        let safe = name.filter { $0.isLetter || $0.isNumber }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
            "umcgtop-region-\(safe)-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir.path
    }

    static func remove(_ directory: String) { try? FileManager.default.removeItem(atPath: directory) }

    /// Small options: `rings` rings of 64 slots.
    static func options(_ directory: String, rings: Int = 2, capacity: Int = 64) -> PublishedRegion.Options {
        PublishedRegion.Options(
            ringCount: rings, ringCapacity: capacity, infoBytes: 16 << 10, snapshotBytes: 16 << 10,
            directory: directory, backend: "emulated")
    }

    /// This process's pid.
    static var pid: Int32 { ProcessIdentity.id }
}
