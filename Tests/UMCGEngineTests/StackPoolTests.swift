import CUMCGShims  // the vector-state check below needs the shims with nothing in between
import Testing

@testable import UMCGEngine
@testable import UMCGSystem
@testable import UMCGTrace

#if canImport(Glibc)
    import Glibc
#endif

/// Recurses until the stack is `bytes` deeper than at `start` (frame sizes differ between debug
/// and release builds, so depth is measured, not counted).
@inline(never)
func burnStack(_ bytes: Int, start: UInt = CPU.stackAddress()) -> UInt {
    let here = CPU.stackAddress()
    if start &- here >= UInt(bytes) { return here }
    return burnStack(bytes, start: start) | 1
}

@Suite struct StackPoolTests {
    @Test func badShapesAreEINVAL() {
        #expect(throws: Errno.EINVAL) { try StackPool(count: 0, stackBytes: 32 << 10, paint: false) }
        #expect(throws: Errno.EINVAL) { try StackPool(count: 4, stackBytes: 8 << 10, paint: false) }
        #expect(throws: Errno.EINVAL) { try StackPool(count: 4, stackBytes: (32 << 10) + 100, paint: false) }
        #expect(throws: Errno.EINVAL) { try StackPool(count: Int.max / 4, stackBytes: 32 << 10, paint: false) }
    }

    @Test func threadsRunOnThePoolAndTheHighWaterMarkFollowsTheirDepth() throws {
        // A thread's own start and exit can reach ~20 KiB deep under AddressSanitizer (its runtime
        // runs on the thread's stack), so the deep thread burns well past that.
        let pool = try StackPool(count: 3, stackBytes: 128 << 10, paint: true)
        defer { pool.unmap() }
        let a = try OSThread(name: "test-stack", stack: pool.stack(0)) { _ = burnStack(56 << 10) }
        let b = try OSThread(name: "test-stack", stack: pool.stack(1)) { _ = burnStack(2 << 10) }
        a.join()
        b.join()
        let deep = try #require(pool.highWaterMark(0))
        let shallow = try #require(pool.highWaterMark(1))
        #expect(deep > 56 << 10 && deep < 128 << 10, "deep: \(deep)")
        #expect(shallow < deep - (24 << 10), "shallow: \(shallow), deep: \(deep)")
        #expect(pool.highWaterMark(2) == 0)  // never ran
        #expect((0..<3).allSatisfy(pool.canaryIntact))
        let usage = StackUsage(pool)
        #expect(usage.maxUsedBytes == deep && usage.overflowed == 0 && usage.stackBytes == 128 << 10)
        pool.unmap()  // idempotent
    }

    @Test func aDamagedCanaryCountsAsAnOverflow() throws {
        let pool = try StackPool(count: 2, stackBytes: 16 << 10, paint: false)
        defer { pool.unmap() }
        #expect(pool.highWaterMark(0) == nil)  // not painted
        #expect(pool.canaryIntact(1))
        // What a thread running past its stack would leave behind.
        let s = try #require(pool.stack(1).baseAddress)
        (s + StackPool.canaryBytes - 1).storeBytes(of: 0, as: UInt8.self)
        #expect(!pool.canaryIntact(1))
        #expect(StackUsage(pool).overflowed == 1)
    }

    @Test(arguments: [BuiltinWorkload.mixed, .io, .cpu, .pingpong])
    func everyWorkloadRunsOnPooledStacksWellWithinThem(_ workload: BuiltinWorkload) throws {
        var c = EngineConfiguration(
            servers: 2, workers: 6, workload: workload, sliceNanos: 2_000_000, backend: .emulated,
            workerStackBytes: 64 << 10)
        c.workerStacks = .pooled
        c.paintStacks = true
        let engine = try Engine(c)
        #expect(engine.memoryPerWorker.stackBytesPerWorker == 64 << 10)
        try engine.start()
        #expect(waitUntil(seconds: 20) { engine.snapshot().workers.allSatisfy { $0.switches > 2 } })
        #expect(engine.stackUsage == nil)  // only once the workers were joined
        #expect(engine.stop(timeout: 60))
        #expect(engine.failedWorkers == 0)
        let usage = try #require(engine.stackUsage)
        let used = try #require(usage.maxUsedBytes)
        print("\(workload) on pooled stacks: deepest \(used) of \(usage.stackBytes) bytes")
        #expect(usage.overflowed == 0)
        // Half the stack at most, in debug builds too: the scale benchmark's 32 KiB default has room.
        #expect(used > 0 && used < 32 << 10)
    }

    @Test func enginePoolStacksAreWholePagesOfAtLeast32KiB() {
        #expect(Engine.poolStackBytes(1) == 32 << 10)
        #expect(Engine.poolStackBytes(16 << 10) == 32 << 10)
        #expect(Engine.poolStackBytes((32 << 10) + 1) == (32 << 10) + 4096)
        #expect(Engine.poolStackBytes(64 << 10) == 64 << 10)
    }

    /// SigBlk of a thread of this process, from /proc.
    static func blockedSignals(tid: Int32) throws -> UInt64 {
        let text = try ProcessMemory.read("/proc/self/task/\(tid)/status")
        let line = try #require(text.split(separator: "\n").first { $0.hasPrefix("SigBlk:") })
        return try #require(UInt64(line.dropFirst("SigBlk:".count).drop { $0 == " " || $0 == "\t" }, radix: 16))
    }

    @Test func engineThreadsBlockAsynchronousSignalsAndTheCallerKeepsItsMask() throws {
        // The caller (a test-runner thread) has the asynchronous signals unblocked for this test,
        // so blocked bits in the engine threads come from the engine.
        let asynchronous = [SIGINT, SIGTERM, SIGHUP, SIGWINCH, SIGPIPE, SIGUSR1]
        var unblock = sigset_t()
        var saved = sigset_t()
        sigemptyset(&unblock)
        for sig in asynchronous { sigaddset(&unblock, sig) }
        pthread_sigmask(SIG_UNBLOCK, &unblock, &saved)
        defer { pthread_sigmask(SIG_SETMASK, &saved, nil) }
        let mine = try Self.blockedSignals(tid: ThreadID.current())
        let engine = try Engine(
            EngineConfiguration(servers: 1, workers: 2, workload: .pingpong, backend: .emulated))
        try engine.start()
        defer { engine.stop() }
        #expect(try Self.blockedSignals(tid: ThreadID.current()) == mine)
        func bit(_ sig: Int32) -> UInt64 { 1 << UInt64(sig - 1) }
        for e in engine.entities {
            let blocked = try Self.blockedSignals(tid: e.tid)
            for sig in asynchronous {
                #expect(mine & bit(sig) == 0)
                #expect(blocked & bit(sig) != 0, "\(e.name): signal \(sig) not blocked")
            }
            // Synchronous signals keep the creator's setting.
            for sig in [SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT] {
                #expect(blocked & bit(sig) == mine & bit(sig), "\(e.name): signal \(sig) changed")
            }
        }
    }

    @Test(
        .enabled(
            if: CPU.upperVectorStateInUse() != nil, "needs x86-64 with AVX-512 and XGETBV(1) to read the vector state"))
    func theVectorStateResetLeavesNoUpperZMMStateInUse() throws {
        // Dirty it the way workers do: glibc's string functions use EVEX registers on AVX-512 CPUs.
        var buffer = [UInt8](repeating: 1, count: 8_192)
        buffer.withUnsafeMutableBytes { raw in
            if let p = raw.baseAddress { _ = memset(p, 7, raw.count) }
        }
        // The shims themselves, back to back: in a debug build a call through the Swift wrappers
        // runs enough runtime code between the reset and the read to put the state back in use.
        let before = umcg_shim_upper_vector_state_in_use()
        umcg_shim_reset_vector_state()
        let after = umcg_shim_upper_vector_state_in_use()
        print("AVX-512 state in use: before reset \(before), after \(after)")
        #expect(before >= 0 && after == 0)
    }
}

/// Trace rings are resident from creation (their first lap would otherwise grow RSS for hours).
@Suite struct TraceRingResidencyTests {
    @Test func aNewRingsSlotsAreAllResident() throws {
        let ring = TraceRing(minimumCapacity: 1 << 18, label: "resident")  // 8 MiB, never pushed to
        let bytes = ring.capacity * MemoryLayout<TraceEvent>.stride
        let resident = try Mapping.residentPages(ring.slots, length: bytes)
        let pages = (bytes + Mapping.pageSize - 1) / Mapping.pageSize
        #expect(resident >= pages, "\(resident) of \(pages) pages resident")
    }
}
