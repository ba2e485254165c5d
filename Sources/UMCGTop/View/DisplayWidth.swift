import UMCGTrace

/// Terminal display width of text, with wcwidth's rules but no locale: East Asian wide and fullwidth
/// characters take 2 cells, combining marks and format characters (zero-width joiners, bidi controls) 0,
/// and control characters (C0, DEL, C1) are replaced by `replacement`, 1 cell.
///
/// Every view lays text out with these widths, so a row is always exactly as wide as the screen.
enum DisplayWidth {
    /// What a control character is drawn as.
    static let replacement = DisplayText.replacement

    /// True for what a terminal would act on (C0, DEL, C1, line separators, bidirectional controls):
    /// the trace-wide rule of `DisplayText`, so the dashboard and `report` refuse the same characters.
    static func isControl(_ s: Unicode.Scalar) -> Bool { DisplayText.isControl(s) }

    /// Cells `s` takes on a terminal: 0, 1 or 2 (a control counts as its replacement, 1).
    static func of(_ s: Unicode.Scalar) -> Int { DisplayText.width(s) }

    /// Cells `text` takes.
    static func width(_ text: String) -> Int {
        var n = 0
        for s in text.unicodeScalars { n += of(s) }
        return n
    }

    /// The longest prefix of `text` that fits in `width` cells.
    static func prefix(_ text: String, width: Int) -> String {
        var out = String.UnicodeScalarView()
        var used = 0
        for s in text.unicodeScalars {
            let w = of(s)
            if used + w > width { break }
            used += w
            out.append(s)
        }
        return String(out)
    }

    /// The longest suffix of `text` that fits in `width` cells.
    static func suffix(_ text: String, width: Int) -> String {
        var kept: [Unicode.Scalar] = []
        var used = 0
        for s in text.unicodeScalars.reversed() {
            let w = of(s)
            if used + w > width { break }
            used += w
            kept.append(s)
        }
        return String(String.UnicodeScalarView(kept.reversed()))
    }
}
