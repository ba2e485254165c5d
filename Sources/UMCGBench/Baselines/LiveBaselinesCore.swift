import Synchronization
import UMCGSystem
import UMCGTrace

/// The state and controller thread behind `LiveBaselines` (kept apart so the controller does not
/// retain the public object and `deinit` can stop it).
final class LiveBaselinesCore: Sendable {
    /// One method in the rotation.
    struct Slot: Sendable {
        let method: BaselineMethod
        let run: BaselineSliceRunner
    }

    /// Totals and the slice in progress; guarded by `state`.
    private struct State {
        var cycles: [UInt64]
        var nanos: [UInt64]
        var failed: [String?]
        /// Slot of the slice in progress and its start (CLOCK_MONOTONIC ns).
        var current: (slot: Int, start: UInt64)?
    }

    // runState values (word32(0)).
    private static let running: UInt32 = 0
    private static let paused: UInt32 = 1
    private static let stopping: UInt32 = 2
    /// Slots of the baselines' trace ring.
    static let ringCapacity = 1_024

    private let slots: [Slot]
    private let plan: CPUPlan
    private let placement: Placement
    private let sliceSeconds: Double
    private let restNanos: Int64
    private let hub: TraceHub?
    private let control = PingPongControl()
    private let state: ThreadLock<State>
    private let thread = ThreadLock<(started: Bool, thread: OSThread?)>((false, nil))
    // word32(0): runState (running / paused / stopping), the word the controller sleeps on.
    // word32(1): parked — 1 while the controller runs no slice (not started, paused, stopped).
    private let words = PaddedWords(words32: 2, words64: 0)

    private var runState: UnsafeMutablePointer<Atomic<UInt32>> { words.word32(0) }
    private var parked: UnsafeMutablePointer<Atomic<UInt32>> { words.word32(1) }

    init(slots: [Slot], plan: CPUPlan, placement: Placement, sliceSeconds: Double, restSeconds: Double, hub: TraceHub?)
    {
        self.slots = slots
        self.plan = plan
        self.placement = placement
        self.sliceSeconds = sliceSeconds
        self.restNanos = Int64(min(restSeconds, 3600) * 1e9)
        self.hub = hub
        state = ThreadLock(
            State(
                cycles: Array(repeating: 0, count: slots.count), nanos: Array(repeating: 0, count: slots.count),
                failed: Array(repeating: nil, count: slots.count), current: nil))
        // Sequentially consistent like every other access to these two words (see pause()).
        parked.pointee.store(1, ordering: .sequentiallyConsistent)
    }

    func start() throws(BaselineError) {
        try thread.withLock { (t: inout (started: Bool, thread: OSThread?)) throws(BaselineError) in
            guard !t.started else { return }
            t.started = true
            t.thread = try BaselineThread.start(name: "baselines") { [self] in controllerLoop() }
        }
    }

    func pause() {
        // Sequentially consistent: Dekker pair with the controller, which stores parked = 0 and
        // then loads runState. Either it sees `paused` and runs no slice, or we see parked == 0
        // and wait below until it parks.
        _ = runState.pointee.compareExchange(
            expected: Self.running, desired: Self.paused, ordering: .sequentiallyConsistent)
        control.requestStop()
        BaselineFutex.wake(runState, count: Int32.max)
        // Also give up once someone else resumed (or stopped): the controller then never parks
        // for us. resume() wakes us; the 10 ms timeout covers a resume that lands between our
        // check of runState and the futex wait (that wait only re-checks `parked`).
        while parked.pointee.load(ordering: .sequentiallyConsistent) == 0,
            runState.pointee.load(ordering: .sequentiallyConsistent) == Self.paused
        {
            _ = try? Futex.wait(Futex.address(of: parked), expected: 0, timeout: 10_000_000)
        }
    }

    func resume() {
        // Sequentially consistent: see pause().
        _ = runState.pointee.compareExchange(
            expected: Self.paused, desired: Self.running, ordering: .sequentiallyConsistent)
        BaselineFutex.wake(runState, count: Int32.max)
        BaselineFutex.wake(parked, count: Int32.max)  // pause() callers re-check runState
    }

    func stop() {
        // Sequentially consistent: see pause().
        runState.pointee.store(Self.stopping, ordering: .sequentiallyConsistent)
        control.requestStop()
        BaselineFutex.wake(runState, count: Int32.max)
        let t = thread.withLock { t in
            t.started = true  // a later start() is a no-op
            return t.thread
        }
        t?.join()
    }

    var isPaused: Bool {
        // Relaxed: a status read for display.
        runState.pointee.load(ordering: .relaxed) == Self.paused
    }

    func counters() -> [BaselineCounters] {
        state.withLock { s in
            let now = SystemClock.monotonicNanos()
            var out: [BaselineCounters] = []
            for (i, slot) in slots.enumerated() where s.failed[i] == nil || s.cycles[i] > 0 {
                var cycles = s.cycles[i]
                var nanos = s.nanos[i]
                if let current = s.current, current.slot == i {
                    // The slice in progress: its published cycles never exceed what it will
                    // add when it ends, and `now` (read under the lock) stays below its end.
                    cycles &+= control.publishedCycles
                    nanos &+= now &- current.start
                }
                out.append(
                    BaselineCounters(
                        method: slot.method, cycles: cycles, activeNanos: nanos, placement: placement.rawValue))
            }
            return out
        }
    }

    func failures() -> [BaselineFailure] {
        state.withLock { s in
            slots.indices.compactMap { i in s.failed[i].map { BaselineFailure(method: slots[i].method, reason: $0) } }
        }
    }

    // MARK: - Controller thread

    private func controllerLoop() {
        // One sample per slice, at most about ten a second: 1,024 slots are minutes of headroom
        // for the pump (the hub's default 65,536 would take hours to touch its 2 MiB).
        let ring = hub?.makeRing(label: "baselines", capacity: Self.ringCapacity)
        var next = 0
        while true {
            // Sequentially consistent: pairs with pause()/resume()/stop() (see pause()).
            let run = runState.pointee.load(ordering: .sequentiallyConsistent)
            if run == Self.stopping { break }
            if run == Self.paused {
                park(while: Self.paused)
                continue
            }
            guard let slot = nextSlot(from: next) else {
                // Every method failed: nothing to run until stop.
                park(while: Self.running)
                continue
            }
            next = slot + 1
            control.reset()
            // Sequentially consistent: the Dekker half that pairs with pause() (see there).
            parked.pointee.store(0, ordering: .sequentiallyConsistent)
            guard runState.pointee.load(ordering: .sequentiallyConsistent) == Self.running else { continue }
            runSlice(slot, ring: ring)
            if restNanos > 0 {
                // Rest, but wake at once on pause or stop (they change runState).
                _ = try? Futex.wait(Futex.address(of: runState), expected: Self.running, timeout: UInt64(restNanos))
            }
        }
        // Sequentially consistent: pause() callers read it (see pause()).
        parked.pointee.store(1, ordering: .sequentiallyConsistent)
        BaselineFutex.wake(parked, count: Int32.max)
    }

    /// Marks the controller parked, wakes pause() callers, sleeps while runState == `value`.
    private func park(while value: UInt32) {
        // Sequentially consistent, both: the Dekker pair with pause() (see there).
        parked.pointee.store(1, ordering: .sequentiallyConsistent)
        BaselineFutex.wake(parked, count: Int32.max)
        if runState.pointee.load(ordering: .sequentiallyConsistent) == value {
            BaselineFutex.wait(runState, expected: value)
        }
    }

    private func nextSlot(from start: Int) -> Int? {
        guard !slots.isEmpty else { return nil }
        let failed = state.withLock { $0.failed }
        for k in 0..<slots.count {
            let i = (start + k) % slots.count
            if failed[i] == nil { return i }
        }
        return nil
    }

    private func runSlice(_ i: Int, ring: TraceRing?) {
        state.withLock { $0.current = (i, SystemClock.monotonicNanos()) }
        let outcome: Result<PingPongResult, any Error>
        do {
            outcome = .success(try slots[i].run(plan, placement, sliceSeconds, control))
        } catch {
            outcome = .failure(error)
        }
        let end: UInt64 = state.withLock { s in
            let now = SystemClock.monotonicNanos()
            if let current = s.current {
                s.nanos[i] &+= now &- current.start
            }
            switch outcome {
            case .success(let r): s.cycles[i] &+= r.cycles
            case .failure(let e): s.failed[i] = "\(e)"
            }
            s.current = nil
            return now
        }
        if let ring, case .success(let r) = outcome {
            let cpu = r.cpus.first.map { $0 >= 0 ? UInt16(clamping: $0) : TraceEvent.noCPU } ?? TraceEvent.noCPU
            _ = ring.push(
                TraceEvent(
                    timestamp: end, kind: .baselineSample, worker: UInt32(slots[i].method.rawValue), cpu: cpu,
                    arg: r.cycles))
        }
    }
}
