import UMCGSystem

/// Short, fixed-width number and time formats for the views.
enum Format {
    /// 674853 → "674.9k", 1234567 → "1.23M", 12 → "12".
    static func rate(_ v: Double?) -> String {
        guard let v, v.isFinite, v >= 0 else { return "-" }
        if v >= 1e9 { return fixed(v / 1e9, v >= 1e10 ? 1 : 2) + "G" }
        if v >= 1e6 { return fixed(v / 1e6, v >= 1e7 ? 1 : 2) + "M" }
        if v >= 1e3 { return fixed(v / 1e3, 1) + "k" }
        if v >= 10 || v == 0 { return String(Int(v.rounded())) }
        return fixed(v, 1)
    }

    /// A count: 950 → "950", 12345 → "12.3k".
    static func count(_ v: UInt64) -> String { v < 10_000 ? String(v) : rate(Double(v)) }

    /// ns → "741ns", "1.5µs" ("us" in ASCII), "2.3ms", "1.20s".
    static func nanos(_ v: UInt64?, ascii: Bool) -> String {
        guard let v else { return "-" }
        let d = Double(v)
        if v < 1_000 { return "\(v)ns" }
        if v < 1_000_000 { return fixed(d / 1e3, d < 1e4 ? 1 : 0) + (ascii ? "us" : "µs") }
        if v < 1_000_000_000 { return fixed(d / 1e6, d < 1e7 ? 1 : 0) + "ms" }
        return fixed(d / 1e9, 2) + "s"
    }

    /// A fraction as "42%" (or "-" when nil).
    static func percent(_ f: Double?) -> String {
        guard let f, f.isFinite else { return "-" }
        return String(Int((f * 100).rounded())) + "%"
    }

    /// Bytes → "812 B", "1.2 MB".
    static func bytes(_ v: UInt64) -> String {
        let d = Double(v)
        if v < 1024 { return "\(v) B" }
        if v < 1 << 20 { return fixed(d / 1024, 1) + " KB" }
        if v < 1 << 30 { return fixed(d / 1_048_576, 1) + " MB" }
        return fixed(d / 1_073_741_824, 2) + " GB"
    }

    /// ns → "mm:ss.t".
    static func clock(_ ns: UInt64) -> String {
        let tenths = ns / 100_000_000
        let minutes = tenths / 600
        let seconds = (tenths / 10) % 60
        return pad2(minutes) + ":" + pad2(seconds) + "." + String(tenths % 10)
    }

    /// ns → "+1.234567s" relative offsets for event lists.
    static func offset(_ ns: UInt64) -> String {
        fixed(Double(ns) / 1e9, 6) + "s"
    }

    /// A speed: 0.25 → "0.25", 4 → "4".
    static func speed(_ s: Double) -> String {
        s == s.rounded() ? String(Int(s)) : fixed(s, 2)
    }

    /// `v` with `digits` decimals, no Foundation.
    static func fixed(_ v: Double, _ digits: Int) -> String {
        guard v.isFinite else { return "-" }
        var scale = 1.0
        for _ in 0..<max(0, digits) { scale *= 10 }
        let scaled = (abs(v) * scale).rounded()
        guard scaled < 9e15 else { return v < 0 ? "-inf" : "inf" }
        let n = UInt64(scaled)
        let whole = n / UInt64(scale)
        let frac = n % UInt64(scale)
        var s = (v < 0 && n > 0 ? "-" : "") + String(whole)
        if digits > 0 {
            var f = String(frac)
            while f.count < digits { f = "0" + f }
            s += "." + f
        }
        return s
    }

    private static func pad2(_ v: UInt64) -> String { v < 10 ? "0\(v)" : "\(v)" }

    /// Left-aligns `s` in `width` cells (truncating with "…" / "~"), by display width.
    static func left(_ s: String, _ width: Int, ascii: Bool = false) -> String {
        let n = DisplayWidth.width(s)
        if n <= width { return s + String(repeating: " ", count: width - n) }
        guard width > 0 else { return "" }
        let head = DisplayWidth.prefix(s, width: width - 1)
        // A wide character cut at the edge leaves one cell: pad it.
        let pad = String(repeating: " ", count: width - 1 - DisplayWidth.width(head))
        return head + pad + (ascii ? "~" : "…")
    }

    /// Right-aligns `s` in `width` cells (truncating from the left), by display width.
    static func right(_ s: String, _ width: Int) -> String {
        let n = DisplayWidth.width(s)
        if n <= width { return String(repeating: " ", count: width - n) + s }
        let tail = DisplayWidth.suffix(s, width: max(0, width))
        return String(repeating: " ", count: max(0, width - DisplayWidth.width(tail))) + tail
    }
}
