import Foundation
import Testing
import UMCGSystem

@testable import UMCGTop

/// Compares rendered grids with checked-in text files under `Snapshots/`.
/// `UMCGTOP_RECORD_SNAPSHOTS=1` rewrites them instead.
enum ViewSnapshotSupport {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
        "Snapshots")

    static var recording: Bool { ProcessInfo.processInfo.environment["UMCGTOP_RECORD_SNAPSHOTS"] == "1" }

    /// Checks `buffer.text` against `Snapshots/<name>.txt`, recording it when asked or missing-and-recording.
    static func assertSnapshot(
        _ buffer: ScreenBuffer, named name: String, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let url = directory.appendingPathComponent(name + ".txt")
        let actual = buffer.text + "\n"
        if recording {
            try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            do {
                try actual.write(to: url, atomically: true, encoding: .utf8)
            } catch {
                Issue.record("could not write snapshot \(url.path): \(error)", sourceLocation: sourceLocation)
            }
            return
        }
        guard let expected = try? String(contentsOf: url, encoding: .utf8) else {
            Issue.record(
                "missing snapshot \(name).txt; run with UMCGTOP_RECORD_SNAPSHOTS=1 to create it",
                sourceLocation: sourceLocation)
            return
        }
        if expected != actual {
            let message = "snapshot \(name) differs:\n" + diff(expected: expected, actual: actual)
            Issue.record(Comment(rawValue: message), sourceLocation: sourceLocation)
        }
    }

    /// A line-by-line diff: "-" expected, "+" actual, with line numbers.
    static func diff(expected: String, actual: String) -> String {
        let e = expected.split(separator: "\n", omittingEmptySubsequences: false)
        let a = actual.split(separator: "\n", omittingEmptySubsequences: false)
        var out: [String] = []
        for i in 0..<max(e.count, a.count) {
            let el = i < e.count ? String(e[i]) : "<none>"
            let al = i < a.count ? String(a[i]) : "<none>"
            if el != al {
                let n = String(i + 1)
                let pad = String(repeating: " ", count: max(0, 3 - n.count)) + n
                out.append("\(pad) - |\(el)|")
                out.append("\(pad) + |\(al)|")
            }
        }
        return out.joined(separator: "\n")
    }
}
