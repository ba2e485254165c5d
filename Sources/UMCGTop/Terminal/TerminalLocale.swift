import CNcurses
import UMCGSystem

/// Chooses the process locale for ncursesw and says whether Unicode drawing is possible.
///
/// `LANG` is often unset on servers and CI machines: without a UTF-8 locale ncursesw prints
/// garbage for braille and block characters, so we try the user's locale, then `C.UTF-8`,
/// and fall back to ASCII drawing when neither is UTF-8.
public enum TerminalLocale {
    /// Sets `LC_ALL` from the environment (or `C.UTF-8`); returns true when the codeset is UTF-8.
    public static func configure() -> Bool {
        if umcg_setlocale_all("") != nil, isUTF8(codeset()) { return true }
        if umcg_setlocale_all("C.UTF-8") != nil, isUTF8(codeset()) { return true }
        _ = umcg_setlocale_all("")
        return false
    }

    /// The current codeset name, e.g. "UTF-8" or "ANSI_X3.4-1968".
    static func codeset() -> String {
        guard let raw = umcg_codeset() else { return "" }
        return String(cString: raw)
    }

    /// True for the spellings of UTF-8 that `nl_langinfo(CODESET)` returns.
    public static func isUTF8(_ codeset: String) -> Bool {
        let c = codeset.lowercased().filter { $0 != "-" && $0 != "_" }
        return c == "utf8"
    }
}
