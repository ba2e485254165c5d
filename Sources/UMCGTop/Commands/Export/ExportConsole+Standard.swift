import CUMCGShims
import Glibc

extension ExportConsole {
    /// stdout and stderr of the process; a progress line only when stderr is a terminal.
    static func standard() -> ExportConsole {
        let tty = umcg_shim_isatty(2) == 1
        return ExportConsole(
            out: { line in print(line) },
            err: { line in writeStandardError(line + "\n") },
            progress: tty ? { line in writeStandardError("\r\u{1B}[K" + line) } : nil)
    }

    /// Writes `text` to fd 2 (best effort: a failing stderr has nowhere to report to).
    private static func writeStandardError(_ text: String) {
        var bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeMutableBytes { raw -> Int in
                // SAFETY: `raw` covers `bytes`; `offset < bytes.count` keeps the pointer inside it.
                Glibc.write(2, raw.baseAddress.map { $0 + offset }, raw.count - offset)
            }
            if n <= 0 { return }
            offset += n
        }
    }
}
