import UMCGSystem

/// What the user chose: selection, sort, filter, overlays. Plain data in the model.
public struct UIState: Equatable, Sendable {
    /// Selected worker id, nil when the table is empty.
    public var selectedWorker: UInt32?
    /// False until the user moves the selection: until then it stays on the top row as the order changes.
    public var selectionChosen = false
    /// First visible row of the Workers table (kept so the selection stays visible).
    public var scrollTop = 0
    /// Sort column.
    public var sortColumn: WorkerSortColumn = .switchRate
    /// Sort descending (true for rates by default).
    public var sortDescending = true
    /// The filter in effect ("" = none).
    public var filter = ""
    /// The filter being typed, nil when not editing.
    public var filterDraft: String?
    /// Help overlay shown.
    public var showHelp = false
    /// Worker whose detail view is open.
    public var detailWorker: UInt32?
    /// Live: the UI is frozen (sources keep draining).
    public var paused = false
    /// Terminal size the model last heard of (page moves, scrolling).
    public var screenWidth = 80
    /// Terminal height the model last heard of.
    public var screenHeight = 24

    /// Creates the default UI state.
    public init() {}

    /// Whether `/` editing is in progress.
    public var isEditingFilter: Bool { filterDraft != nil }
}
