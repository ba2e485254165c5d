import UMCGSystem
import UMCGTrace

/// Closing a rate window: per-second rates over about the last second, one history sample
/// per refresh interval, then publishing into `model` unless the live UI is paused.
extension Aggregator {
    /// Computes rates at trace time `now` (live: CLOCK_MONOTONIC; replay: the clock's position)
    /// and publishes them. A `now` earlier than the previous tick only republishes. With
    /// `autoSampleNanos` (replay) it samples at the last boundary at or before `now` instead.
    public func tick(now: UInt64) {
        if autoSampleNanos > 0 {
            autoSample(upTo: now)
        } else {
            let refreshMillis = model.options.refreshMillis
            foldBox.access { fold in
                guard now >= fold.lastTick else { return }
                fold.sample(at: now, refreshMillis: refreshMillis)
                fold.lastTick = now
            }
        }
        publish()
        if let metricsSink { metricsSink.publish(metricsSnapshot(topWorkers: metricsSink.topWorkerCount)) }
    }

    /// Copies the folded tables into the model unless the live UI is paused.
    private func publish() {
        if model.ui.paused && !model.mode.isReplay { return }
        // One access: the tables and totals published together (a pump may be folding meanwhile).
        foldBox.access { fold in
            fold.syncRows()
            model.workers = fold.workerRows
            model.workerSlots = fold.events.workerSlotTable
            model.servers = fold.serverRows
            model.rates = fold.rates
            // Totals as of now; rates as of the last sample.
            model.status.droppedTotal = fold.droppedTotal
            model.status.droppedRecent = fold.folded.droppedRecent
            model.status.eventsPerSecond = fold.folded.eventsPerSecond
            model.status.eventsTotal = fold.eventsTotal
            model.status.nowNanos = fold.folded.nowNanos
        }
        model.ensureSelection()
    }
}
