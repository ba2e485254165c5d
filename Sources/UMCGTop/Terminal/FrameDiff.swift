import UMCGSystem

/// Which cells of a frame differ from the previous one: the terminal writes only those.
public enum FrameDiff {
    /// A horizontal run of changed cells in one row.
    public struct Run: Equatable, Sendable {
        /// Row.
        public var y: Int
        /// First column.
        public var x: Int
        /// Number of cells.
        public var count: Int
    }

    /// Runs of cells in `next` that differ from `previous`; every row when the sizes differ or there is no previous frame.
    public static func changedRuns(from previous: ScreenBuffer?, to next: ScreenBuffer) -> [Run] {
        guard let previous, previous.width == next.width, previous.height == next.height else {
            return next.width == 0 ? [] : (0..<next.height).map { Run(y: $0, x: 0, count: next.width) }
        }
        var runs: [Run] = []
        for y in 0..<next.height {
            var x = 0
            while x < next.width {
                guard previous[x, y] != next[x, y] else {
                    x += 1
                    continue
                }
                let start = x
                while x < next.width, previous[x, y] != next[x, y] { x += 1 }
                runs.append(Run(y: y, x: start, count: x - start))
            }
        }
        return runs
    }
}
