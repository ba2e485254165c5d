import UMCGAnalysis
import UMCGSystem
import UMCGTrace

/// Closing a rate window on the folded tables.
extension FoldState {
    /// Closes a window at `now`: totals, rates, splits; a history sample every `refreshMillis`.
    mutating func sample(at now: UInt64, refreshMillis: Int) {
        let refresh = UInt64(max(1, refreshMillis)) * 1_000_000
        let takeHistory = lastHistorySample == 0 || now >= lastHistorySample &+ refresh
        if takeHistory { lastHistorySample = now }

        for w in workerRows.indices {
            let totals = events.workers[w].totals(at: now)
            workerRows[w].totals = totals
            workerTracks[w].switchWindow.push(time: now, total: totals.switches)
            workerTracks[w].runWindow.push(time: now, total: totals.runNanos)
            workerTracks[w].runnableWindow.push(time: now, total: totals.runnableNanos)
            workerTracks[w].blockedWindow.push(time: now, total: totals.blockedNanos)
            workerRows[w].switchesPerSecond = workerTracks[w].switchWindow.ratePerSecond() ?? 0
            let run = Double(workerTracks[w].runWindow.delta()?.value ?? 0)
            let runnable = Double(workerTracks[w].runnableWindow.delta()?.value ?? 0)
            let blocked = Double(workerTracks[w].blockedWindow.delta()?.value ?? 0)
            let sum = run + runnable + blocked
            workerRows[w].split =
                sum > 0 ? TimeSplit(run: run / sum, runnable: runnable / sum, blocked: blocked / sum) : TimeSplit()
            if takeHistory { workerRows[w].history.append(workerRows[w].switchesPerSecond) }
            // Once per refresh (and on a worker's first samples): percentiles walk the histogram,
            // and a row sharing the fold's histogram makes the next record copy it.
            let fold = events.workers[w]
            let firstSamples = workerTracks[w].percentileCount == 0
            if takeHistory || firstSamples, workerTracks[w].percentileCount != fold.wakeToRun.count {
                workerTracks[w].percentileCount = fold.wakeToRun.count
                workerRows[w].wakeToRun = fold.wakeToRun
                workerRows[w].wakeToRunP50 = fold.wakeToRun.percentile(0.5)
                workerRows[w].wakeToRunP99 = fold.wakeToRun.percentile(0.99)
            }
            if takeHistory || workerRows[w].runLength.count == 0, workerRows[w].runLength.count != fold.runLength.count
            {
                workerRows[w].runLength = fold.runLength
            }
        }

        var engineSwitches: UInt64 = 0
        for s in serverRows.indices {
            let switches = events.servers[s].switches
            engineSwitches &+= switches
            serverRows[s].switches = switches
            serverTracks[s].switchWindow.push(time: now, total: switches)
            serverTracks[s].busyWindow.push(time: now, total: events.servers[s].busy(at: now))
            serverRows[s].switchesPerSecond = serverTracks[s].switchWindow.ratePerSecond() ?? 0
            if let d = serverTracks[s].busyWindow.delta() {
                serverRows[s].utilisation = min(1, Double(d.value) / Double(d.nanos))
            }
            if takeHistory { serverRows[s].history.append(serverRows[s].switchesPerSecond) }
        }

        engineCyclesWindow.push(time: now, total: engineSwitches / 2)
        for m in BaselineMethod.allCases {
            let i = Int(m.rawValue)
            // Active time, as the keyframe counters: the method ran only during its own slices.
            baselines[i].sampleWindow.push(
                time: events.baselineSampleActiveNanos[i], total: events.baselineSampleCycles[i])
        }
        var r = rates
        update(&r.futex, .futex, engineFallback: false)
        update(&r.condvar, .condvar, engineFallback: false)
        update(&r.umcg, .umcg, engineFallback: true)
        rates = r
        if takeHistory {
            rates.umcg.history.append(rates.umcg.cyclesPerSecond ?? 0)
            rates.futex.history.append(rates.futex.cyclesPerSecond ?? 0)
            rates.condvar.history.append(rates.condvar.cyclesPerSecond ?? 0)
        }

        eventsWindow.push(time: now, total: eventsTotal)
        let dropsTotal = droppedTotal
        dropsWindow.push(time: now, total: dropsTotal)
        folded.droppedTotal = dropsTotal
        folded.droppedRecent = dropsWindow.delta()?.value ?? 0
        folded.eventsPerSecond = eventsWindow.ratePerSecond() ?? 0
        folded.eventsTotal = eventsTotal
        folded.nowNanos = now
    }

    /// Baseline counters win over samples; UMCG falls back to the engine's switches / 2.
    private func update(_ series: inout RateSeries, _ m: BaselineMethod, engineFallback: Bool) {
        let b = baselines[Int(m.rawValue)]
        series.placement = b.placement
        let source: RateSource =
            if b.hasCounters {
                .counters
            } else if events.hasBaselineSamples[Int(m.rawValue)] {
                .samples
            } else if engineFallback, engineCyclesWindow.latestTotal ?? 0 > 0 {
                .engineSwitches
            } else {
                .none
            }
        if source != series.source {
            // A better source arrived: its numbers do not continue the old line.
            series.history = History(capacity: series.history.capacity)
            series.cyclesPerSecond = nil
            series.source = source
        }
        switch source {
        case .counters: series.cyclesPerSecond = b.counterWindow.ratePerSecond() ?? series.cyclesPerSecond
        case .samples: series.cyclesPerSecond = b.sampleWindow.ratePerSecond()
        case .engineSwitches: series.cyclesPerSecond = engineCyclesWindow.ratePerSecond()
        case .none: series.cyclesPerSecond = nil
        }
    }
}
