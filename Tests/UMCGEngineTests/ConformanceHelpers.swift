import Synchronization
import Testing
import UMCGSystem
import UMCGTrace

@testable import UMCGEngine

/// Runs `body` on a fresh OS thread (so a test never registers or blocks a shared pool thread) and
/// returns its result.
func onThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) throws -> T {
    let box = ThreadLock<Result<T, any Error>?>(nil)
    let t = try OSThread(name: "test-thread") {
        let r = Result { try body() }
        box.withLock { $0 = r }
    }
    t.join()
    guard let r = box.withLock({ $0 }) else { throw Errno.EINVAL }
    return try r.get()
}

/// Runs `body` on a fresh OS thread registered as a server of `backend`, with a `ServerSide` for its
/// calls; the server unregisters and the event buffer is freed when `body` returns or throws.
func onServerThread<T: Sendable>(
    _ backend: any UMCGBackend, _ body: @escaping @Sendable (ServerSide) throws -> T
) throws -> T {
    try onThread {
        let s = ServerSide(backend: backend)
        defer { s.free() }
        try backend.ctl(.registerServer)
        defer { try? backend.ctl(.unregister) }
        return try body(s)
    }
}

/// Shared state of a scripted worker.
final class WorkerProbe: Sendable {
    let tid = Atomic<Int32>(0)
    let errors = ThreadLock<[Errno]>([])
    let finished = Atomic<Bool>(false)
    /// A test-controlled gate the script may wait on (0 closed, 1 open).
    let gate = Atomic<UInt32>(0)

    /// The worker id (`tid << 5`).
    var id: UInt64 { UMCGABI.workerID(forTid: tid.load(ordering: .acquiring)) }

    func log(_ e: Errno) { errors.withLock { $0.append(e) } }
    var loggedErrors: [Errno] { errors.withLock { $0 } }

    /// Blocks (spin-yield with a deadline) until the gate opens. Used inside blocking sections only.
    func waitForGate(seconds: Double = 10) {
        _ = waitUntil(seconds: seconds) { self.gate.load(ordering: .acquiring) == 1 }
    }
    func openGate() { gate.store(1, ordering: .releasing) }
}

/// Starts a worker thread running `script`; errors thrown by the script are logged on the probe.
func spawnWorker(
    _ script: @escaping @Sendable (WorkerProbe) throws(Errno) -> Void
) throws -> (OSThread, WorkerProbe) {
    let probe = WorkerProbe()
    let t = try OSThread(name: "test-thread") {
        probe.tid.store(ThreadID.current(), ordering: .releasing)
        do throws(Errno) { try script(probe) } catch { probe.log(error) }
        probe.finished.store(true, ordering: .releasing)
    }
    _ = waitUntil(seconds: 10) { probe.tid.load(ordering: .acquiring) != 0 }
    return (t, probe)
}

/// Server-side helpers (call on the server thread).
struct ServerSide {
    let backend: any UMCGBackend
    let events = UnsafeMutablePointer<UInt64>.allocate(capacity: 8)

    /// Events of one idle WAIT with a 10 s deadline.
    func waitEvents() throws(Errno) -> [UMCGEvent] {
        try backend.ctl(.wait, absTimeout: SystemClock.realtimeNanos() + 10_000_000_000, events: events, eventCount: 8)
        return collect()
    }

    /// Waits until an event of `type` for `id` arrives, collecting everything seen.
    func waitFor(_ type: UMCGEventType, id: UInt64, seen: inout [UMCGEvent]) throws(Errno) {
        while !seen.contains(UMCGEvent(workerID: id, type: type)) {
            seen += try waitEvents()
        }
    }

    /// CTX_SWITCH to `tid`; returns every event that came back.
    func switchTo(_ tid: Int32) throws(Errno) -> [UMCGEvent] {
        try backend.ctl(.ctxSwitch, nextTid: tid, events: events, eventCount: 8)
        return collect()
    }

    func collect() -> [UMCGEvent] {
        var out: [UMCGEvent] = []
        for i in 0..<8 {
            if events[i] == 0 { break }
            out.append(UMCGEvent(rawValue: events[i]))
        }
        return out
    }

    func free() { events.deallocate() }
}

/// A backend the conformance suite runs its contract cases against (one Swift Testing argument).
struct ConformanceBackend: Sendable, CustomTestStringConvertible {
    enum Kind: String, Sendable {
        case emulated, kernel
    }

    let kind: Kind
    /// The syscall number the selector found (kernel only).
    let syscallNumber: Int?

    var testDescription: String { kind.rawValue }

    /// A fresh backend: the emulation with a 100 ms slice and the futex handoff (the defaults the
    /// suite always used), or the kernel's umcg_ctl at the detected number.
    func make() throws -> any UMCGBackend {
        switch kind {
        case .emulated:
            return try ConformanceTests.backend()
        case .kernel:
            guard let syscallNumber else { throw Errno.ENOSYS }
            return KernelBackend(syscallNumber: syscallNumber)
        }
    }

    /// Live registered (workers, servers) where the backend can count them (the emulation), nil on
    /// the kernel, which does not expose them.
    static func registeredCounts(_ backend: any UMCGBackend) -> (workers: Int, servers: Int)? {
        (backend as? EmulatedBackend)?.registeredCounts
    }
}

/// The backends available on this host: the emulation always; the kernel's umcg_ctl only where
/// `BackendSelector` detects it with the rule of docs/UMCG-ABI.md (on stock Linux it never probes, so no
/// test here issues a UMCG-numbered syscall).
enum ConformanceBackends {
    /// What the selector decided for `--backend auto` on this host.
    static let selection: BackendSelection = {
        do throws(BackendSelectionError) {
            return try BackendSelector().select(.auto)
        } catch {
            // `.auto` falls back instead of throwing; keep the reason anyway.
            return BackendSelection(kind: .emulated, reason: error.description, syscallNumber: nil)
        }
    }()

    /// The kernel backend, when detected.
    static let kernel: ConformanceBackend? =
        selection.kind == .kernel && selection.syscallNumber != nil
        ? ConformanceBackend(kind: .kernel, syscallNumber: selection.syscallNumber) : nil

    /// True when a kernel backend was detected.
    static var kernelDetected: Bool { kernel != nil }

    /// Why the kernel variants do not run here (shown by Swift Testing when they are skipped).
    static var kernelAbsence: Comment {
        "no kernel UMCG backend detected (\(selection.reason)); the contract cases ran on the emulation only"
    }

    /// Every backend the contract cases run against here.
    static var available: [ConformanceBackend] {
        [ConformanceBackend(kind: .emulated, syscallNumber: nil)] + (kernel.map { [$0] } ?? [])
    }
}

/// A stress test's hang guard that measures progress, not total time: `stalled` once `progressed()`
/// has not been called for `seconds`. A slow run (sanitizers on a loaded CI machine) keeps going as
/// long as events keep coming; a lost event or wake-up stops them, and the test then records what it
/// saw instead of hanging at a join on a thread that nothing will ever switch to again.
final class StallGuard: Sendable {
    /// The guard's limit.
    let seconds: UInt64
    private let last: Atomic<UInt64>
    private let count = Atomic<Int>(0)

    init(seconds: UInt64 = 60) {
        self.seconds = seconds
        last = Atomic(SystemClock.monotonicNanos())
    }

    /// Something happened (an event arrived).
    func progressed() {
        // Relaxed: a timestamp and a counter for the guard and its report.
        last.store(SystemClock.monotonicNanos(), ordering: .relaxed)
        count.add(1, ordering: .relaxed)
    }

    /// Whether nothing happened for the guard's whole limit.
    var stalled: Bool {
        // Relaxed: see progressed().
        SystemClock.monotonicNanos() &- last.load(ordering: .relaxed) > seconds * 1_000_000_000
    }

    /// How many times `progressed()` was called.
    var events: Int { count.load(ordering: .relaxed) }
}
