import UMCGTrace

extension TracePump {
    /// The headless JSON summary's `recording` object of a source that records through this pump:
    /// path, bytes, events and keyframes written, and the error that stopped the recording, if any
    /// (`finalError`, from `stop()`, or the pump's write error).
    func recordingSummary(path: String, finalError: TraceFileError?) -> JSONValue {
        let error = finalError ?? writeError
        return .object([
            ("path", .string(path)), ("bytes", .uint(bytesWritten)), ("events", .uint(eventsWritten)),
            ("keyframes", .uint(keyframesWritten)), ("error", error.map { .string($0.description) } ?? .null),
        ])
    }
}
