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
    /// One Unicode scalar of display width 1 or 2 (a width-2 scalar's right half is a `continuation` cell).
    public var scalar: Unicode.Scalar
    public var style: CellStyle

    /// Creates a cell.
    public init(_ scalar: Unicode.Scalar = " ", style: CellStyle = .plain) {
        self.scalar = scalar
        self.style = style
    }

    /// The scalar of the right half of a wide character: drawn by its left half, never written itself.
    public static let continuationScalar: Unicode.Scalar = "\u{0}"

    /// True for the right half of a wide character.
    public var isContinuation: Bool { scalar == Self.continuationScalar }
}

/// A character grid that views draw into and the terminal layer copies to the screen.
/// Plain Swift: tests compare `text` with checked-in snapshots.
///
/// Text is laid out by display width (`DisplayWidth`): a wide character takes its cell and a
/// continuation cell, combining and format characters are dropped, controls become `?`; a wide
/// character that would straddle the edge is replaced by a space. Overwriting half of a wide character
/// blanks the other half, so every row is always exactly `width` terminal columns.
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
        set {
            guard x >= 0 && y >= 0 && x < width && y < height else { return }
            var cell = newValue
            if DisplayWidth.isControl(cell.scalar) { cell.scalar = DisplayWidth.replacement }
            if DisplayWidth.of(cell.scalar) != 1 { cell.scalar = " " }  // one cell: no wide or zero-width scalar
            store(cell, x: x, y: y)
        }
    }

    /// Writes `text` from (x, y) rightwards, clipped to the grid and to `maxWidth` cells; returns cells written.
    @discardableResult
    public mutating func put(_ text: String, x: Int, y: Int, style: CellStyle = .plain, maxWidth: Int = .max) -> Int {
        guard y >= 0, y < height else { return 0 }
        var col = x
        var written = 0
        for original in text.unicodeScalars {
            let scalar = DisplayWidth.isControl(original) ? DisplayWidth.replacement : original
            let w = DisplayWidth.of(scalar)
            if w == 0 { continue }
            if written >= maxWidth || col >= width { break }
            if written + w > maxWidth || col + w > width {
                // A wide character that does not fit: a space in the one cell left.
                if col >= 0 { store(Cell(" ", style: style), x: col, y: y) }
                written += 1
                break
            }
            if col >= 0 {
                store(Cell(scalar, style: style), x: col, y: y)
                if w == 2 { store(Cell(Cell.continuationScalar, style: style), x: col + 1, y: y) }
            } else if w == 2 && col == -1 {
                store(Cell(" ", style: style), x: 0, y: y)  // the left half is off the grid
            }
            col += w
            written += w
        }
        return written
    }

    /// Stores one cell, blanking the other half of any wide character it overwrites.
    private mutating func store(_ cell: Cell, x: Int, y: Int) {
        let i = y * width + x
        let old = cells[i]
        if old.isContinuation, x > 0, !cell.isContinuation {
            cells[i - 1].scalar = " "
        } else if DisplayWidth.of(old.scalar) == 2, x + 1 < width, cells[i + 1].isContinuation {
            cells[i + 1].scalar = " "
        }
        cells[i] = cell
    }

    /// The grid as text, one line per row, trailing spaces trimmed (a wide character once, for its two cells).
    public var text: String {
        var lines: [String] = []
        lines.reserveCapacity(height)
        for y in 0..<height {
            var line = String.UnicodeScalarView()
            for x in 0..<width where !cells[y * width + x].isContinuation { line.append(cells[y * width + x].scalar) }
            var s = String(line)
            while s.last == " " { s.removeLast() }
            lines.append(s)
        }
        return lines.joined(separator: "\n")
    }
}
