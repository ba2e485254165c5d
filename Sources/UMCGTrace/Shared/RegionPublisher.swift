import Synchronization
import UMCGSystem

/// The target's publisher thread (`umcgtop-publish`): keeps a `PublishedRegion`'s heartbeat,
/// run info and snapshots current without the target ever waiting for a viewer.
///
/// It waits on the region's snapshot request word (a shared futex) with a 1 s timeout. Each time
/// it wakes it writes the heartbeat, re-publishes the run info when it changed (workers spawned)
/// and, when a viewer bumped the request word, publishes a snapshot. With no viewer it only
/// heartbeats once a second. `stop()` publishes a last snapshot, joins the thread and closes
/// the region.
///
/// Threading rule: `start`/`stop` from one controlling thread.
public final class RegionPublisher: @unchecked Sendable {
    // SAFETY: `thread` is touched only by the controlling thread (threading rule); the publisher
    // thread reads `stopping` (an atomic) and the immutable fields.

    /// The region it keeps current.
    public let region: PublishedRegion
    private let info: @Sendable () -> RunInfo
    private let snapshot: @Sendable () -> Snapshot
    private let stopping = Atomic<Bool>(false)
    private var thread: OSThread?
    /// Snapshots published so far (read from any thread).
    private let published = Atomic<Int>(0)

    /// Creates a publisher of `region` that asks `info` and `snapshot` for what to publish.
    public init(
        region: PublishedRegion, info: @escaping @Sendable () -> RunInfo,
        snapshot: @escaping @Sendable () -> Snapshot
    ) {
        self.region = region
        self.info = info
        self.snapshot = snapshot
    }

    /// Publishes the run info and a first snapshot, then starts the thread. Throws when the thread cannot start.
    public func start() throws(Errno) {
        guard thread == nil else { return }
        let first = info()
        region.publish(info: first)
        region.publish(snapshot: snapshot())
        thread = try OSThread(name: "umcgtop-publish", stackSize: 256 << 10) { [self] in run(published: first) }
    }

    /// Snapshots published so far.
    public var snapshotsPublished: Int {
        // Relaxed: a statistic.
        published.load(ordering: .relaxed)
    }

    private func run(published first: RunInfo) {
        let word = region.requestWord
        // Relaxed: only compared with later values of the word.
        var served = word.pointee.load(ordering: .relaxed)
        var lastInfo = first
        while true {
            do throws(Errno) {
                _ = try Futex.waitShared(Futex.address(of: word), expected: served, timeout: 1_000_000_000)
            } catch {
                // Never spin: a futex that cannot be waited on (it never fails on a shared mapping) falls back to a sleep.
                SystemClock.sleep(nanos: 1_000_000_000)
            }
            region.heartbeat()
            // Relaxed: set before stop()'s wake; a missed one is caught by the 1 s timeout.
            let stop = stopping.load(ordering: .relaxed)
            let now = info()
            if now.entities != lastInfo.entities {
                region.publish(info: now)
                lastInfo = now
            }
            // Relaxed: see above.
            let requested = word.pointee.load(ordering: .relaxed)
            if requested != served || stop {
                served = requested
                region.publish(snapshot: snapshot())
                // Relaxed: a statistic.
                published.add(1, ordering: .relaxed)
            }
            if stop { return }
        }
    }

    /// Stops and joins the thread (after a last snapshot), then closes the region with
    /// `exitStatus`. Idempotent.
    public func stop(exitStatus: Int32? = nil) {
        if let thread {
            // Relaxed: the wake below (and at worst the thread's 1 s timeout) makes it look.
            stopping.store(true, ordering: .relaxed)
            let word = region.requestWord
            // Relaxed: bumping the word makes the thread's wait return at once (EAGAIN) if it has not slept yet.
            word.pointee.add(1, ordering: .relaxed)
            _ = try? Futex.wakeShared(Futex.address(of: word), count: Int32.max)
            thread.join()
            self.thread = nil
        }
        region.close(exitStatus: exitStatus)
    }
}
