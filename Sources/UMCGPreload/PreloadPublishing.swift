import CUMCGPreload
import UMCGEngine
import UMCGSystem
import UMCGTrace

#if canImport(Glibc)
    import Glibc
#endif

/// libumcg.so publishing its program's events and counters (issue #12): on when the process
/// started with `UMCGTOP_PUBLISH=1` (read once by the C side when the library loads).
///
/// The C side (preload.c) calls `umcg_preload_publish_start` on the first umcg_ctl, which creates
/// the region (`UMCGTOP_SHM_DIR`, default /dev/shm) and starts the `umcgtop-publish` thread; at exit
/// (atexit) `umcg_preload_publish_stop` publishes a last snapshot and removes the region; around
/// fork the `umcg_preload_publish_*fork*` functions keep the child out of its parent's region (the
/// child publishes a region of its own once it calls umcg_ctl). All of them run with the C side's
/// publish lock held and its "in library" flag raised. See docs/SharedMemory.md.
enum PreloadPublishing {
    /// The observer the emulation is created with; nil unless publishing was requested.
    static let tracer: PreloadTracer? =
        umcg_preload_publish_requested() != 0
        ? PreloadTracer(
            workerCapacity: PreloadEntry.options.maxWorkers, serverCapacity: PreloadEntry.options.maxServers)
        : nil

    // SAFETY: read and written only by the umcg_preload_publish_* functions, which the C side calls
    // with its publish lock held (or in a fork child, which has one thread).
    nonisolated(unsafe) static var publisher: RegionPublisher?
    /// A fork child's references to its parent's publisher, never released (its deinit would act on
    /// the parent's region). Same SAFETY as `publisher`.
    nonisolated(unsafe) static var abandoned: [RegionPublisher] = []

    /// Slots per ring: `UMCGTOP_RING_CAPACITY` (256…2^20), else 2^13 (256 KiB of the region per ring).
    static var ringCapacity: Int { environmentInt("UMCGTOP_RING_CAPACITY", in: 256...(1 << 20)) ?? 1 << 13 }

    /// Rings the region holds: `UMCGTOP_RINGS` (1…1024), else 64. The region is reserved in full
    /// when it is created (tmpfs memory: 64 × 256 KiB = 16 MiB by default); a worker or server slot
    /// registered after they are all made has none, and its events count as dropped.
    static var ringCount: Int { environmentInt("UMCGTOP_RINGS", in: 1...1024) ?? 64 }

    /// An integer environment variable within `range`, else nil.
    static func environmentInt(_ name: String, in range: ClosedRange<Int>) -> Int? {
        guard let text = ProcessIdentity.environment(name), let n = Int(text), range.contains(n) else { return nil }
        return n
    }

    /// Where the region goes: `UMCGTOP_SHM_DIR` (tests), else /dev/shm.
    static var directory: String {
        guard let dir = ProcessIdentity.environment("UMCGTOP_SHM_DIR"), !dir.isEmpty else { return "/dev/shm" }
        return dir
    }

    /// Creates the region and starts the publisher thread; `kernelSyscall` >= 0 when umcg_ctl goes
    /// to the kernel (nothing to observe: the region says so, with no workers). A failure is one
    /// line on stderr; the program runs on unpublished.
    static func start(kernelSyscall: Int64) {
        guard publisher == nil else { return }
        let kernel = kernelSyscall >= 0
        let backend = kernel ? "kernel passthrough" : "emulated"
        let reason =
            kernel
            ? "libumcg.so passes umcg_ctl (syscall \(kernelSyscall)) to the kernel, which it cannot observe: no workers or events are published"
            : "libumcg.so: no kernel umcg_ctl passed the probe; the program runs on the user-space emulation"
        let tracer = kernel ? nil : Self.tracer
        let options = PublishedRegion.Options(
            ringCount: kernel ? 0 : ringCount, ringCapacity: ringCapacity, directory: directory, backend: backend)
        let region: PublishedRegion
        do {
            region = try PublishedRegion.create(options)
        } catch {
            PreloadLog.line("cannot publish for umcgtop: \(error)")
            return
        }
        do {
            tracer?.attach(region)
            let scenario = "libumcg.so in \(ProcessIdentity.commandName) (pid \(ProcessIdentity.id))"
            let publisher = RegionPublisher(
                region: region,
                info: {
                    tracer?.runInfo(backend: backend, reason: reason, scenario: scenario)
                        ?? PreloadTracer.emptyInfo(backend: backend, reason: reason, scenario: scenario)
                },
                snapshot: {
                    tracer?.snapshot() ?? Snapshot(timestamp: TraceClock.shared.nanos(), servers: [], workers: [])
                })
            try publisher.start()
            Self.publisher = publisher
        } catch {
            // No publisher thread: nobody would keep the region current or remove it at exit.
            region.close(exitStatus: nil)
            PreloadLog.line("cannot publish for umcgtop: the publisher thread did not start: \(error)")
        }
    }

    /// Publishes a last snapshot, stops the thread, marks the region closed and removes it.
    static func stop() {
        publisher?.stop(exitStatus: nil)
        publisher = nil
    }
}

extension PreloadTracer {
    /// The run facts of a process with nothing to observe (kernel passthrough).
    static func emptyInfo(backend: String, reason: String, scenario: String) -> RunInfo {
        RunInfo(
            backend: backend, backendReason: reason, kernel: host.kernel, hostname: host.hostname,
            cpus: UInt32(host.cpus), scenario: scenario, wallClockAnchorNs: SystemClock.realtimeNanos(),
            monotonicAnchorNs: SystemClock.monotonicNanos(), entities: [])
    }
}

/// One line on stderr from the library, prefixed `libumcg: `.
enum PreloadLog {
    static func line(_ text: String) {
        let bytes = Array("libumcg: \(text)\n".utf8)
        // The library's own write(): the C side's "in library" flag makes it pass straight to libc.
        bytes.withUnsafeBytes { p in _ = write(2, p.baseAddress, p.count) }
    }
}

/// Publishing starts (the first umcg_ctl, with the C side's publish lock held).
@_cdecl("umcg_preload_publish_start")
public func umcgPreloadPublishStart(_ kernelSyscall: Int64) {
    PreloadPublishing.start(kernelSyscall: kernelSyscall)
}

/// Publishing stops at exit (atexit, in the process that started it).
@_cdecl("umcg_preload_publish_stop")
public func umcgPreloadPublishStop() {
    PreloadPublishing.stop()
}

/// Before fork (pthread_atfork prepare): the tracer's lock is held across the fork.
@_cdecl("umcg_preload_publish_prefork")
public func umcgPreloadPublishPrefork() {
    PreloadPublishing.tracer?.state.lockForFork()
}

/// After fork, in the parent: the tracer's lock is released.
@_cdecl("umcg_preload_publish_parent")
public func umcgPreloadPublishParent() {
    PreloadPublishing.tracer?.state.unlockAfterFork()
}

/// After fork, in the child (one thread): out of the parent's region; the parent's publisher and
/// rings are kept, never stopped or released (either would act on the parent's region).
@_cdecl("umcg_preload_publish_child")
public func umcgPreloadPublishChild() {
    PreloadPublishing.tracer?.forgetParentAfterFork()
    if let old = PreloadPublishing.publisher {
        PreloadPublishing.abandoned.append(old)
        PreloadPublishing.publisher = nil
    }
}
