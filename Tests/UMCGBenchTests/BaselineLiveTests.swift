import Testing
import UMCGSystem
import UMCGTrace

@testable import UMCGBench
@testable import UMCGEngine

/// Polls `condition` every millisecond until it holds or `seconds` pass; returns whether it held.
private func eventually(within seconds: Double = 20, _ condition: () -> Bool) async -> Bool {
    let deadline = SystemClock.monotonicNanos() + UInt64(seconds * 1e9)
    while !condition() {
        if SystemClock.monotonicNanos() > deadline { return false }
        try? await Task.sleep(for: .milliseconds(1))
    }
    return true
}

private func total(_ counters: [BaselineCounters], _ method: BaselineMethod) -> UInt64 {
    counters.first { $0.method == method }?.cycles ?? 0
}

@Suite(.serialized) struct BaselineLiveTests {
    /// A UMCG stand-in: "runs" 1,000 cycles per slice without threads.
    static let fakeUMCG: BaselineSliceRunner = { _, _, seconds, _ in
        PingPongResult(cycles: 1000, elapsedNanos: UInt64(seconds * 1e9), cpuNanos: 0, cpus: [-1, -1])
    }

    @Test func countersGrowMonotonicallyAndPauseStopsGrowth() async throws {
        let live = try LiveBaselines(
            configuration: .init(methods: [.futex, .condvar], sliceSeconds: 0.02))
        try live.start()
        defer { live.stop() }

        var previous = live.counters()
        #expect(previous.map(\.method) == [.futex, .condvar])
        #expect(previous.allSatisfy { $0.placement == "same-cpu" })
        var monotonic = true
        let grew = await eventually {
            let now = live.counters()
            for (a, b) in zip(previous, now) where b.cycles < a.cycles || b.activeNanos < a.activeNanos {
                monotonic = false
            }
            previous = now
            return total(now, .futex) > 100 && total(now, .condvar) > 100
        }
        #expect(grew)
        #expect(monotonic)

        live.pause()
        #expect(live.isPaused)
        let frozen = live.counters()
        // Nothing may change while paused: watch for a while (a bounded observation, not a sync).
        let changed = await eventually(within: 0.3) { live.counters() != frozen }
        #expect(!changed)

        live.resume()
        #expect(!live.isPaused)
        let resumed = await eventually { total(live.counters(), .futex) > total(frozen, .futex) }
        #expect(resumed)
    }

    @Test func stopJoinsPromptlyAndIsIdempotent() async throws {
        let live = try LiveBaselines(configuration: .init(methods: [.futex, .condvar], sliceSeconds: 5))
        try live.start()
        #expect(await eventually { live.counters().contains { $0.cycles > 0 } })
        let t0 = SystemClock.monotonicNanos()
        live.stop()
        // A 5 s slice is cut short by the stop flag checked every cycle.
        #expect(SystemClock.monotonicNanos() - t0 < 2_000_000_000)
        let after = live.counters()
        live.stop()
        #expect(live.counters() == after)
        try live.start()  // no-op after stop
        #expect(live.counters() == after)
    }

    @Test func samplesInTheHubAddUpToTheCounters() async throws {
        let hub = TraceHub(ringCapacity: 1 << 12)
        let live = try LiveBaselines(
            configuration: .init(methods: [.condvar, .umcg], sliceSeconds: 0.01, umcgRunner: Self.fakeUMCG), hub: hub)
        var sums: [UInt8: UInt64] = [:]
        var kinds: Set<TraceEventKind> = []
        func drain() {
            hub.drain { event in
                kinds.insert(event.kind)
                // Only samples name a method (a drop marker's worker is `noWorker`: not a UInt8).
                guard event.kind == .baselineSample else { return }
                sums[UInt8(truncatingIfNeeded: event.worker), default: 0] += event.arg
            }
        }
        try live.start()
        // Drained while it runs, as the dashboard's pump does: the ring holds 1,024 samples, and the
        // instant fake runner fills it in seconds when a loaded machine delays the condvar's first slice.
        #expect(
            await eventually {
                drain()
                return live.counters().allSatisfy { $0.cycles > 0 }
            })
        live.stop()
        drain()
        #expect(kinds == [.baselineSample])
        #expect(hub.dropped == 0)
        // Sized for one sample per slice, not the hub's default: a 2 MiB ring filled at ten events
        // a second grows the resident set for hours (the soak's "RSS creep").
        #expect(hub.allRings.map(\.label) == ["baselines"])
        #expect(hub.allRings.map(\.capacity) == [LiveBaselinesCore.ringCapacity])
        #expect(LiveBaselinesCore.ringCapacity < hub.ringCapacity)
        let counters = live.counters()
        #expect(counters.map(\.method) == [.condvar, .umcg])
        #expect(sums[BaselineMethod.condvar.rawValue] == total(counters, .condvar))
        #expect(sums[BaselineMethod.umcg.rawValue] == total(counters, .umcg))
        #expect(total(counters, .umcg) % 1000 == 0)
    }

    @Test func aFailingMethodLeavesTheRotationAndIsReported() async throws {
        let live = try LiveBaselines(
            configuration: .init(
                methods: [.umcg, .futex], sliceSeconds: 0.01,
                umcgRunner: { _, _, _, _ in throw Errno.ENOSYS }))
        try live.start()
        defer { live.stop() }
        #expect(await eventually { total(live.counters(), .futex) > 0 })
        #expect(live.failures() == [BaselineFailure(method: .umcg, reason: "ENOSYS")])
        #expect(live.counters().map(\.method) == [.futex])
    }

    @Test func defaultRotationRunsAllThreeIncludingTheEngineUMCG() async throws {
        let live = try LiveBaselines(configuration: .init(sliceSeconds: 0.02))
        try live.start()
        defer { live.stop() }
        #expect(live.counters().map(\.method) == [.futex, .condvar, .umcg])
        let all = await eventually { live.counters().allSatisfy { $0.cycles > 0 && $0.activeNanos > 0 } }
        #expect(all, "failures: \(live.failures())")
        #expect(live.failures().isEmpty)
    }

    @Test func concurrentPauseResumeFromManyThreadsNeverHangs() async throws {
        let live = try LiveBaselines(configuration: .init(methods: [.futex, .condvar], sliceSeconds: 0.005))
        try live.start()
        let t0 = SystemClock.monotonicNanos()
        await withTaskGroup(of: Void.self) { group in
            for k in 0..<3 {
                group.addTask {
                    for i in 0..<100 {
                        if (i + k) % 2 == 0 { live.pause() } else { live.resume() }
                    }
                }
            }
        }
        live.resume()
        let before = live.counters()
        #expect(await eventually { total(live.counters(), .futex) > total(before, .futex) })
        live.stop()
        #expect(SystemClock.monotonicNanos() - t0 < 30_000_000_000)
    }

    @Test func invalidConfigurationsThrow() {
        #expect(throws: BaselineError.invalidDuration(0)) { try LiveBaselines(configuration: .init(sliceSeconds: 0)) }
        #expect(throws: BaselineError.noSuchCPU(9999, available: CPU.count)) {
            try LiveBaselines(configuration: .init(cpu: 9999))
        }
    }

    @Test func pauseBeforeStartAndDeinitWithoutStop() async throws {
        do {
            let live = try LiveBaselines(configuration: .init(methods: [.futex], sliceSeconds: 0.01))
            live.pause()
            try live.start()
            let changed = await eventually(within: 0.2) { live.counters().contains { $0.cycles > 0 } }
            #expect(!changed)
            live.resume()
            #expect(await eventually { live.counters().contains { $0.cycles > 0 } })
            // Dropped here without stop(): deinit stops and joins.
        }
    }
}
