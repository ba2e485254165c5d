import UMCGSystem

/// A replay command the app forwards to its `ReplayClock` (and source).
public enum ReplayCommand: Equatable, Sendable {
    /// Play or pause.
    case togglePlay
    /// Seek by a signed number of ns of trace time.
    case seek(byNanos: Int64)
    /// Seek to the start.
    case seekToStart
    /// Seek to the end.
    case seekToEnd
    /// Show exactly one more event, then pause.
    case stepOne
    /// Double the speed (up to 64×).
    case faster
    /// Halve the speed (down to 0.25×).
    case slower
}

/// How the selection moves in the Workers table.
public enum SelectionMove: Equatable, Sendable {
    /// One row, one page, or to either end.
    case up, down, pageUp, pageDown, top, bottom
}

/// The Workers table columns one can sort by, in `<` `>` order.
public enum WorkerSortColumn: Int, CaseIterable, Equatable, Sendable, CustomStringConvertible {
    /// Column identities, in the order `>` walks them.
    case id, name, state, server, switchRate, run, blocked, p50, p99

    /// The column header text.
    public var description: String {
        switch self {
        case .id: "ID"
        case .name: "NAME"
        case .state: "STATE"
        case .server: "SRV"
        case .switchRate: "SW/S"
        case .run: "RUN%"
        case .blocked: "BLK%"
        case .p50: "P50"
        case .p99: "P99"
        }
    }
}

/// What a key means, independent of the model's reaction to it.
public enum Action: Equatable, Sendable {
    /// Quit the program.
    case quit
    /// Show or hide the help overlay.
    case toggleHelp
    /// Close the help overlay or the detail view.
    case closeOverlay
    /// Live: freeze or thaw the view.
    case togglePause
    /// Move the Workers selection.
    case move(SelectionMove)
    /// Open the selected worker's detail view.
    case openDetail
    /// Clear and redraw the screen.
    case fullRedraw
    /// `+`: refresh faster (live) or play faster (replay).
    case faster
    /// `-`: refresh slower (live) or play slower (replay).
    case slower
    /// A replay clock command.
    case replay(ReplayCommand)
    /// Next / previous sort column, or invert the direction.
    case sortNext, sortPrevious, sortInvert
    /// `/`: start editing the filter.
    case beginFilter
    /// A character typed into the filter.
    case filterInput(Character)
    /// Delete the last filter character.
    case filterBackspace
    /// Enter while editing: apply the typed filter.
    case applyFilter
    /// Esc: drop the filter (and stop editing).
    case clearFilter
    /// The terminal changed size.
    case resize(width: Int, height: Int)
}

/// What the app must do after an action changed the model (htop's reaction).
public enum Reaction: Equatable, Sendable {
    /// Nothing visible changed.
    case none
    /// Draw the next frame.
    case redraw
    /// Clear and draw everything (Ctrl-L, resize).
    case fullRedraw
    /// Stop sources, restore the terminal, exit.
    case quit
    /// Live: the UI froze or thawed (sources keep draining).
    case togglePause
    /// Live: the refresh interval is now this many ms.
    case setRefresh(Int)
    /// Replay: drive the clock.
    case replay(ReplayCommand)
}
