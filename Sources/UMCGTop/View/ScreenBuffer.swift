import UMCGSystem

/// A colour role; the terminal layer maps roles to colours (or to nothing under NO_COLOR).
public enum ColorRole: UInt8, Sendable, CaseIterable {
    case normal = 0
    case header
    case accent
    case good
    case warn
    case bad
    case umcg
    case futex
    case condvar
    case dim
}

/// Text attributes of one cell.
public struct CellStyle: Sendable, Equatable, Hashable {
    public var color: ColorRole
    public var bold: Bool
    public var reverse: Bool
    public var underline: Bool

    /// Creates a style.
    public init(color: ColorRole = .normal, bold: Bool = false, reverse: Bool = false, underline: Bool = false) {
        self.color = color
        self.bold = bold
        self.reverse = reverse
        self.underline = underline
    }

    public static let plain = CellStyle()
}

/// One character cell.
public struct Cell: Sendable, Equatable {
    /// One Unicode scalar of display width 1.
    public var scalar: Unicode.Scalar
    public var style: CellStyle

    /// Creates a cell.
    public init(_ scalar: Unicode.Scalar = " ", style: CellStyle = .plain) {
        self.scalar = scalar
        self.style = style
    }
}

/// A character grid that views draw into and the terminal layer copies to the screen.
/// Plain Swift: tests compare `text` with checked-in snapshots.
public struct ScreenBuffer: Sendable, Equatable {
    public let width: Int
    public let height: Int
    public private(set) var cells: [Cell]

    /// Creates a blank grid (negative sizes become 0).
    public init(width: Int, height: Int) {
        self.width = max(0, width)
        self.height = max(0, height)
        cells = Array(repeating: Cell(), count: self.width * self.height)
    }

    /// The cell at (x, y); a blank cell outside the grid.
    public subscript(x: Int, y: Int) -> Cell {
        get { x >= 0 && y >= 0 && x < width && y < height ? cells[y * width + x] : Cell() }
        set { if x >= 0 && y >= 0 && x < width && y < height { cells[y * width + x] = newValue } }
    }

    /// Writes `text` from (x, y) rightwards, clipped to the grid and to `maxWidth` cells; returns cells written.
    @discardableResult
    public mutating func put(_ text: String, x: Int, y: Int, style: CellStyle = .plain, maxWidth: Int = .max) -> Int {
        guard y >= 0, y < height else { return 0 }
        var col = x
        var written = 0
        for scalar in text.unicodeScalars {
            if written >= maxWidth || col >= width { break }
            if col >= 0 { cells[y * width + col] = Cell(scalar, style: style) }
            col += 1
            written += 1
        }
        return written
    }

    /// The grid as text, one line per row, trailing spaces trimmed.
    public var text: String {
        var lines: [String] = []
        lines.reserveCapacity(height)
        for y in 0..<height {
            var line = String.UnicodeScalarView()
            for x in 0..<width { line.append(cells[y * width + x].scalar) }
            var s = String(line)
            while s.last == " " { s.removeLast() }
            lines.append(s)
        }
        return lines.joined(separator: "\n")
    }
}
