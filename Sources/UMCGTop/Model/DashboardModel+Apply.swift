import UMCGSystem

/// Applying actions: the only way keys change the model. Returns what the app must do.
extension DashboardModel {
    /// Changes the model for `action` and says how the app should react.
    public mutating func apply(_ action: Action) -> Reaction {
        switch action {
        case .quit:
            return .quit
        case .toggleHelp:
            ui.showHelp.toggle()
            return .redraw
        case .closeOverlay:
            if ui.showHelp {
                ui.showHelp = false
            } else {
                ui.detailWorker = nil
            }
            return .redraw
        case .togglePause:
            if mode.isReplay { return .replay(.togglePlay) }
            ui.paused.toggle()
            return .togglePause
        case .move(let move):
            guard moveSelection(move) else { return .none }
            // In the detail view the arrows walk through workers in table order.
            if ui.detailWorker != nil { ui.detailWorker = ui.selectedWorker }
            return .redraw
        case .openDetail:
            ensureSelection()
            guard let sel = ui.selectedWorker else { return .none }
            ui.detailWorker = sel
            ui.selectionChosen = true
            return .redraw
        case .fullRedraw:
            return .fullRedraw
        case .faster, .slower:
            if mode.isReplay { return .replay(action == .faster ? .faster : .slower) }
            let steps = DashboardOptions.refreshSteps
            let current = steps.lastIndex(where: { $0 <= options.refreshMillis }) ?? 0
            let next = action == .faster ? max(0, current - 1) : min(steps.count - 1, current + 1)
            guard steps[next] != options.refreshMillis else { return .none }
            options.refreshMillis = steps[next]
            return .setRefresh(steps[next])
        case .replay(let command):
            return mode.isReplay ? .replay(command) : .none
        case .sortNext, .sortPrevious:
            let all = WorkerSortColumn.allCases
            let i = all.firstIndex(of: ui.sortColumn) ?? 0
            let j = (i + (action == .sortNext ? 1 : all.count - 1)) % all.count
            ui.sortColumn = all[j]
            ui.sortDescending = Self.defaultDescending(all[j])
            keepSelectionVisible()
            return .redraw
        case .sortInvert:
            ui.sortDescending.toggle()
            keepSelectionVisible()
            return .redraw
        case .beginFilter:
            ui.filterDraft = ui.filter
            return .redraw
        case .filterInput(let c):
            guard ui.filterDraft != nil, (ui.filterDraft?.count ?? 0) < 64 else { return .none }
            ui.filterDraft?.append(c)
            return .redraw
        case .filterBackspace:
            guard let draft = ui.filterDraft, !draft.isEmpty else { return .none }
            ui.filterDraft?.removeLast()
            return .redraw
        case .applyFilter:
            ui.filter = ui.filterDraft ?? ui.filter
            ui.filterDraft = nil
            ui.scrollTop = 0
            keepSelectionVisible()
            return .redraw
        case .clearFilter:
            ui.filter = ""
            ui.filterDraft = nil
            keepSelectionVisible()
            return .redraw
        case .resize(let w, let h):
            ui.screenWidth = max(0, w)
            ui.screenHeight = max(0, h)
            keepSelectionVisible()
            return .fullRedraw
        }
    }

    /// Rates and latencies sort descending first; names and ids ascending.
    static func defaultDescending(_ column: WorkerSortColumn) -> Bool {
        switch column {
        case .id, .name, .state, .server: false
        case .switchRate, .run, .blocked, .p50, .p99: true
        }
    }

    /// Rows the Workers table shows at the current screen size.
    var workerPageSize: Int {
        max(1, DashboardLayout(model: self, width: ui.screenWidth, height: ui.screenHeight).workerRows)
    }

    /// Selects the top row unless the user chose a worker that is still visible, and keeps it on screen.
    mutating func ensureSelection() {
        let visible = visibleWorkerIndices
        if !(ui.selectionChosen && position(of: ui.selectedWorker, in: visible) != nil) {
            ui.selectedWorker = visible.first.map { workers[$0].id }
        }
        keepSelectionVisible(visible)
    }

    /// Where worker `id` sits in `visible`, nil if absent.
    func position(of id: UInt32?, in visible: [Int]) -> Int? {
        guard let id, let slot = workerSlot(id) else { return nil }
        return visible.firstIndex(of: slot)
    }

    /// Moves the selection; false if nothing changed.
    mutating func moveSelection(_ move: SelectionMove) -> Bool {
        let visible = visibleWorkerIndices
        guard !visible.isEmpty else { return false }
        let before = ui.selectedWorker
        let page = workerPageSize
        let target: Int
        if let c = position(of: ui.selectedWorker, in: visible) {
            switch move {
            case .up: target = c - 1
            case .down: target = c + 1
            case .pageUp: target = c - page
            case .pageDown: target = c + page
            case .top: target = 0
            case .bottom: target = visible.count - 1
            }
        } else {
            target = move == .bottom ? visible.count - 1 : 0
        }
        let clamped = min(max(target, 0), visible.count - 1)
        ui.selectedWorker = workers[visible[clamped]].id
        ui.selectionChosen = true
        keepSelectionVisible(visible)
        return ui.selectedWorker != before
    }

    /// Adjusts `scrollTop` so the selected row is on screen.
    mutating func keepSelectionVisible(_ precomputed: [Int]? = nil) {
        let visible = precomputed ?? visibleWorkerIndices
        let page = workerPageSize
        let maxTop = max(0, visible.count - page)
        if let pos = position(of: ui.selectedWorker, in: visible) {
            if pos < ui.scrollTop { ui.scrollTop = pos }
            if pos >= ui.scrollTop + page { ui.scrollTop = pos - page + 1 }
        }
        ui.scrollTop = min(max(ui.scrollTop, 0), maxTop)
    }
}
