import UMCGTrace

/// A recorded `.umcgtrace` as export input (adapts the trace file reader).
struct TraceFileInput: ExportInput {
    let info: RunInfo
    let eventCount: UInt64
    let truncationWarning: String?

    /// Opens `path`.
    init(path: String) throws(ExportFailure) {
        throw .unreadableInput("\(path): reading .umcgtrace files needs the trace reader, which is not merged yet")
    }

    func forEachRecord(_ body: (ExportInputRecord) throws(ExportFailure) -> Void) throws(ExportFailure) -> String? { nil }
}
