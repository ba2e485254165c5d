import UMCGSystem

/// Unbuffered writes to stdout and stderr (write(2)): headless frames appear at once even in a pipe.
/// The one stderr writer of the commands (dashboard, bench, report, export).
public enum StandardStreams {
    /// Writes `text` to stdout; false when it could not (EPIPE: the reader went away).
    @discardableResult
    public static func out(_ text: String) -> Bool { write(fd: 1, text) }

    /// Writes one line to stderr.
    public static func errorLine(_ line: String) { write(fd: 2, line + "\n") }

    /// Writes `text` to stderr as it is (progress lines that redraw themselves).
    public static func err(_ text: String) { write(fd: 2, text) }

    @discardableResult
    private static func write(fd: Int32, _ text: String) -> Bool {
        (try? FileDescriptor(rawValue: fd).writeAll(text)) != nil
    }
}
