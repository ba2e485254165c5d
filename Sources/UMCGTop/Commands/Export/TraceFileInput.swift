import UMCGAnalysis
import UMCGSystem
import UMCGTrace

/// A recorded `.umcgtrace` as export input: adapts `TraceReader`.
///
/// Opening scans the file (header errors are fatal); a file cut short opens up to its last good
/// record and `truncationWarning` says what was lost. A checksum-valid record that fails to decode
/// ends the input early with one warning line, worded as `report`'s: what came before it is exported.
struct TraceFileInput: ExportInput {
    let reader: TraceReader

    /// Opens and scans `path`.
    init(path: String) throws(ExportFailure) {
        do {
            reader = try TraceReader.open(path: path)
        } catch {
            // As `umcgtop report`: open/stat failures 66, other system errors 74, data errors 65.
            // A system error's description names the path already.
            switch error {
            case .system(let operation, _, _) where operation == "open" || operation == "stat":
                throw .unreadableInput(error.description)
            case .system: throw .readFailed(error.description)
            case .notRegularFile: throw .unreadableInput(error.description)
            case .invalid, .closed: throw .badInput("\(path): \(error.description)")
            }
        }
    }

    var info: RunInfo { reader.info }
    var eventCount: UInt64 { reader.summary.events }
    var truncationWarning: String? {
        guard let warning = reader.summary.warning else { return nil }
        return "\(reader.path): \(warning)"
    }

    func forEachRecord(_ body: (ExportInputRecord) throws(ExportFailure) -> Void) throws(ExportFailure) -> String? {
        var cursor = reader.makeCursor()
        while true {
            let record: TraceRecord?
            do {
                record = try cursor.next()
            } catch {
                // As `umcgtop report`: a record that does not decode ends the input with one warning line;
                // a failed read is an error.
                guard case .invalid = error else { throw .readFailed("\(reader.path): \(error.description)") }
                let warning = TraceReport.warning(scan: reader.summary.warning, stoppedBy: error, verb: "exported")
                return "\(reader.path): \(warning ?? error.description)"
            }
            switch record {
            case nil: return nil
            case .event(let event)?: try body(.event(event))
            case .keyframe(let snapshot)?: try body(.snapshot(snapshot))
            case .gap(let gap)?: try body(.gap(timestamp: gap.timestamp, count: gap.count))
            }
        }
    }
}
