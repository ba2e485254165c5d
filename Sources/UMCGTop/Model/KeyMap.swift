import UMCGSystem

/// The keymap: what a key means in the model's current mode (filter editing, overlays, replay).
/// Returns nil for keys that mean nothing here.
public func action(for key: Key, in model: DashboardModel) -> Action? {
    if model.ui.isEditingFilter {
        switch key {
        case .char(let c): return .filterInput(c)
        case .backspace: return .filterBackspace
        case .enter: return .applyFilter
        case .escape: return .clearFilter
        case .ctrlC: return .quit
        case .ctrlL: return .fullRedraw
        default: return nil
        }
    }
    let overlay = model.ui.showHelp || model.ui.detailWorker != nil
    let replay = model.mode.isReplay
    switch key {
    case .ctrlC: return .quit
    case .ctrlL: return .fullRedraw
    case .char("q"), .char("Q"): return overlay ? .closeOverlay : .quit
    case .char("?"), .char("h"): return model.ui.showHelp ? .closeOverlay : .toggleHelp
    case .escape:
        if overlay { return .closeOverlay }
        return model.ui.filter.isEmpty ? nil : .clearFilter
    case .enter:
        if overlay { return .closeOverlay }
        return .openDetail
    case .char(" "): return replay ? .replay(.togglePlay) : .togglePause
    case .up: return .move(.up)
    case .down: return .move(.down)
    case .pageUp: return .move(.pageUp)
    case .pageDown: return .move(.pageDown)
    case .home: return .move(.top)
    case .end: return .move(.bottom)
    case .char("+"), .char("="): return .faster
    case .char("-"), .char("_"): return .slower
    case .char("<"), .char(","): return .sortPrevious
    case .char(">"): return .sortNext
    case .char("i"), .char("I"): return .sortInvert
    case .char("/"): return .beginFilter
    default: break
    }
    guard replay else { return nil }
    switch key {
    case .left: return .replay(.seek(byNanos: -1_000_000_000))
    case .right: return .replay(.seek(byNanos: 1_000_000_000))
    case .shiftLeft, .char("["): return .replay(.seek(byNanos: -10_000_000_000))
    case .shiftRight, .char("]"): return .replay(.seek(byNanos: 10_000_000_000))
    case .char("g"): return .replay(.seekToStart)
    case .char("G"): return .replay(.seekToEnd)
    case .char("."): return .replay(.stepOne)
    default: return nil
    }
}
