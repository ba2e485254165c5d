/// Text from a trace file or a shared-memory region made safe for a terminal: the one place that decides
/// which characters may reach a terminal and how wide they are.
///
/// Strings in a trace (hostname, kernel, scenario, backend reason, entity names) are untrusted: a name holding
/// `ESC[2J` would clear the screen, `ESC]0;…BEL` retitle the terminal, a newline forge a table row, a 4 KiB name
/// pad every row. `sanitized(_:maxWidth:)` replaces every control character (C0 including tab, newline and ESC,
/// DEL, C1, the line and paragraph separators and the bidirectional overrides) with `?` and cuts the result to
/// a display width with `…`. JSON output does not use it: it escapes instead, and stays exact.
public enum DisplayText {
    /// The replacement for a control character.
    public static let replacement: Unicode.Scalar = "?"
    /// What ends a cut string.
    public static let ellipsis: Unicode.Scalar = "…"

    /// Whether `scalar` must never be written to a terminal as is.
    public static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00..<0x20, 0x7F...0x9F: true  // C0 (tab, newline, ESC…), DEL, C1 (CSI 0x9B, OSC 0x9D…)
        case 0x2028, 0x2029: true  // line and paragraph separators
        case 0x202A...0x202E, 0x2066...0x2069, 0x200E, 0x200F, 0x061C: true  // bidirectional controls
        default: false
        }
    }

    /// Terminal cells `scalar` takes: 0 for combining and zero-width characters, 2 for East Asian wide and
    /// fullwidth characters and emoji, 1 otherwise (control characters count 1: they are shown replaced).
    public static func width(_ scalar: Unicode.Scalar) -> Int {
        let v = scalar.value
        if v < 0x300 { return 1 }
        switch scalar.properties.generalCategory {
        case .nonspacingMark, .enclosingMark: return 0
        case .format where !isControl(scalar): return 0
        default: break
        }
        if v == 0x200B { return 0 }
        if v >= 0x1160 && v <= 0x11FF { return 0 }  // Hangul medial vowels and final consonants combine
        if isWide(v) { return 2 }
        return 1
    }

    /// Terminal cells `text` takes once sanitized.
    public static func width(_ text: String) -> Int {
        var n = 0
        for scalar in text.unicodeScalars { n += width(scalar) }
        return n
    }

    /// `text` with every control character replaced by `?`, cut to at most `maxWidth` cells: a longer text
    /// keeps what fits in `maxWidth - 1` cells and ends with `…` (a wide character never straddles the cut).
    public static func sanitized(_ text: String, maxWidth: Int = .max) -> String {
        guard maxWidth > 0 else { return "" }
        var out = String.UnicodeScalarView()
        var used = 0
        var cutAt: (index: String.UnicodeScalarView.Index, used: Int)?
        for scalar in text.unicodeScalars {
            let w = width(scalar)
            if used + w > maxWidth {
                // Too wide: go back to the last point that leaves room for the ellipsis.
                if let cutAt { out.removeSubrange(cutAt.index...) }
                out.append(ellipsis)
                return String(out)
            }
            if cutAt == nil, used + w > maxWidth - 1 { cutAt = (out.endIndex, used) }
            out.append(isControl(scalar) ? replacement : scalar)
            used += w
        }
        return String(out)
    }

    /// East Asian Wide (W) and Fullwidth (F) ranges and wide emoji (after Markus Kuhn's wcwidth).
    private static func isWide(_ v: UInt32) -> Bool {
        switch v {
        case 0x1100...0x115F, 0x231A...0x231B, 0x2329...0x232A, 0x23E9...0x23EC, 0x23F0, 0x23F3, 0x25FD...0x25FE,
            0x2614...0x2615, 0x2648...0x2653, 0x267F, 0x2693, 0x26A1, 0x26AA...0x26AB, 0x26BD...0x26BE,
            0x26C4...0x26C5, 0x26CE, 0x26D4, 0x26EA, 0x26F2...0x26F3, 0x26F5, 0x26FA, 0x26FD, 0x2705,
            0x270A...0x270B, 0x2728, 0x274C, 0x274E, 0x2753...0x2755, 0x2757, 0x2795...0x2797, 0x27B0, 0x27BF,
            0x2B1B...0x2B1C, 0x2B50, 0x2B55, 0x2E80...0x303E, 0x3041...0x33FF, 0x3400...0x4DBF, 0x4E00...0x9FFF,
            0xA000...0xA4CF, 0xA960...0xA97F, 0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE10...0xFE19, 0xFE30...0xFE6F,
            0xFF00...0xFF60, 0xFFE0...0xFFE6, 0x16FE0...0x16FE4, 0x17000...0x18CFF, 0x1B000...0x1B2FF,
            0x1F004, 0x1F0CF, 0x1F18E, 0x1F191...0x1F19A, 0x1F200...0x1F251, 0x1F300...0x1F64F,
            0x1F680...0x1F6FF, 0x1F7E0...0x1F7EB, 0x1F90C...0x1F9FF, 0x1FA70...0x1FAFF, 0x20000...0x2FFFD,
            0x30000...0x3FFFD:
            true
        default: false
        }
    }
}

extension UInt64 {
    /// `self + other`, or `UInt64.max` when the sum does not fit: drop counts saturate instead of wrapping
    /// (two gaps of 2^63 events are "at least 2^64 - 1 lost", never 0).
    @inlinable public func saturatingAdd(_ other: UInt64) -> UInt64 {
        let (sum, overflow) = addingReportingOverflow(other)
        return overflow ? .max : sum
    }
}
