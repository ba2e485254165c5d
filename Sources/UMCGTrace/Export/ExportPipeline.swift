/// The part both exporters share: records → time order → lane transitions and counter samples.
///
/// Exporters push records, then render and clear `transitions` and `samples`.
/// Memory is bounded by the reorder buffer's capacity and the timeline's caps.
struct ExportPipeline: Sendable {
    private var reorder = ReorderBuffer()
    private(set) var timeline = ExportTimeline()
    private var meter = SwitchRateMeter()
    private var ready: [ExportItem] = []
    /// Lane switches, wakings, instants and gaps to render, in time order.
    var transitions: [ExportTransition] = []
    /// Counter values to render.
    var samples: [CounterSample] = []

    /// Adds a record; what became ready is appended to `transitions` and `samples`.
    mutating func push(_ item: ExportItem) {
        ready.removeAll(keepingCapacity: true)
        reorder.push(item, into: &ready)
        processReady()
    }

    /// Releases everything held and closes the last counter bucket.
    mutating func finish() {
        ready.removeAll(keepingCapacity: true)
        reorder.drain(into: &ready)
        processReady()
        meter.finish(into: &samples)
    }

    /// Empties `transitions` and `samples` (after rendering them).
    mutating func clearOutput() {
        transitions.removeAll(keepingCapacity: true)
        samples.removeAll(keepingCapacity: true)
    }

    private mutating func processReady() {
        for item in ready {
            let first = transitions.count
            switch item {
            case .event(let event):
                meter.advance(to: event.timestamp, into: &samples)
                if event.kind == .baselineSample { meter.baselineSample(event, into: &samples) }
                timeline.apply(event, into: &transitions)
            case .snapshot(let snapshot):
                meter.snapshot(snapshot, into: &samples)
                timeline.apply(snapshot, into: &transitions)
            case .gap(let timestamp, let count):
                timeline.applyGap(timestamp: timestamp, count: count, into: &transitions)
            }
            for transition in transitions[first...] {
                if case .laneSwitch = transition { meter.countSwitch() }
            }
        }
    }
}
