import UMCGSystem

/// Drawing helpers shared by the views.
extension ScreenBuffer {
    /// Fills a row segment with one character and style.
    mutating func fill(x: Int, y: Int, width: Int, scalar: Unicode.Scalar = " ", style: CellStyle = .plain) {
        guard width > 0 else { return }
        for cx in x..<(x + width) { self[cx, y] = Cell(scalar, style: style) }
    }

    /// Fills a rectangle with blanks.
    mutating func clear(x: Int, y: Int, width: Int, height: Int, style: CellStyle = .plain) {
        guard height > 0 else { return }
        for cy in y..<(y + height) { fill(x: x, y: cy, width: width, style: style) }
    }

    /// A full-width panel header in reverse video: `title` then `rest`.
    mutating func header(_ title: String, rest: String = "", y: Int) {
        fill(x: 0, y: y, width: width, style: CellStyle(color: .header, reverse: true))
        let n = put(title, x: 0, y: y, style: CellStyle(color: .header, bold: true, reverse: true))
        put(rest, x: n, y: y, style: CellStyle(color: .header, reverse: true), maxWidth: max(0, width - n))
    }

    /// Draws segments left to right; returns the x after the last one.
    @discardableResult
    mutating func putSegments(_ segments: [(String, CellStyle)], x: Int, y: Int, maxX: Int) -> Int {
        var cx = x
        for (text, style) in segments {
            guard cx < maxX else { break }
            cx += put(text, x: cx, y: y, style: style, maxWidth: maxX - cx)
        }
        return cx
    }
}
