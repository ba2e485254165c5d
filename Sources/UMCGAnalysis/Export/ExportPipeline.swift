import UMCGTrace

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

    /// Exchanges `transitions` and `samples` with the caller's arrays (empty ones, usually).
    mutating func swapOutput(_ otherTransitions: inout [ExportTransition], _ otherSamples: inout [CounterSample]) {
        swap(&transitions, &otherTransitions)
        swap(&samples, &otherSamples)
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

/// An exporter built on `ExportPipeline`: what both formats do with a record before their own
/// output code (write the header once, count, reorder, render what became ready, flush full
/// buffers). Each format supplies the header and the rendering of one transition or sample.
protocol PipelinedExporter {
    var pipeline: ExportPipeline { get set }
    var stats: ExportStats { get set }
    /// The pipeline's output, swapped out while it is rendered so both arrays keep their buffers.
    var pendingTransitions: [ExportTransition] { get set }
    var pendingSamples: [CounterSample] { get set }
    /// Writes the header once; throws `.alreadyFinished` after `finish()`.
    mutating func begin() throws(ExportError)
    mutating func render(_ transition: ExportTransition)
    mutating func render(_ sample: CounterSample)
    /// Hands full output buffers to the sink.
    mutating func flushFull() throws(ExportError)
}

extension PipelinedExporter {
    /// Takes one record: header first, counted, reordered, and whatever became ready rendered.
    mutating func take(_ item: ExportItem) throws(ExportError) {
        try begin()
        switch item {
        case .event: stats.events += 1
        case .snapshot: stats.snapshots += 1
        case .gap: break
        }
        pipeline.push(item)
        try renderReady()
    }

    /// Releases every held record and the last counter bucket and renders them.
    mutating func finishPipeline() throws(ExportError) {
        try begin()
        pipeline.finish()
        try renderReady()
    }

    /// Renders the pending transitions and counter samples, then flushes full buffers.
    mutating func renderReady() throws(ExportError) {
        // Moves, not copies: the spare buffers out of self, swapped with the pipeline's output,
        // rendered, emptied and put back, so no array is ever copied on write.
        var transitions: [ExportTransition] = []
        var samples: [CounterSample] = []
        swap(&transitions, &pendingTransitions)
        swap(&samples, &pendingSamples)
        pipeline.swapOutput(&transitions, &samples)
        for index in transitions.indices { render(transitions[index]) }
        for index in samples.indices { render(samples[index]) }
        transitions.removeAll(keepingCapacity: true)
        samples.removeAll(keepingCapacity: true)
        swap(&transitions, &pendingTransitions)
        swap(&samples, &pendingSamples)
        stats.ignoredEvents = pipeline.timeline.ignoredEvents
        stats.clampedTimestamps = pipeline.timeline.clampedTimestamps
        try flushFull()
    }
}
