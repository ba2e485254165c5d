import UMCGSystem

extension ExportConsole {
    /// stdout and stderr of the process; a progress line only when stderr is a terminal; SIGINT, SIGTERM and
    /// SIGHUP (the monitor must be installed) stop the export between records.
    static func standard() -> ExportConsole {
        let tty = FileDescriptor(rawValue: 2).isTerminal
        return ExportConsole(
            out: { line in print(line) },
            err: { line in StandardStreams.errorLine(line) },
            progress: tty ? { line in StandardStreams.err("\r\u{1B}[K" + line) } : nil,
            interruption: { SignalMonitor.received })
    }

}
