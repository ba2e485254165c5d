/// Where the engine puts its worker threads' stacks.
public enum WorkerStacks: String, Sendable, CaseIterable, CustomStringConvertible {
    /// glibc allocates each stack: its own mapping with a guard page below it.
    case system
    /// One mapping for all workers, advised for transparent huge pages (`StackPool`): with
    /// thousands of workers every switch lands on a stack whose page is not in the TLB, and a
    /// 2 MiB page covers 64 stacks of 32 KiB. No guard pages: overflow is detected afterwards by a
    /// canary at the bottom of each stack, not trapped.
    case pooled

    /// The smallest pooled stack the engine uses (smaller requests are raised to it): a worker's
    /// first steps through the Swift runtime's one-time setup reach about 15 KiB in a release
    /// build and 17.5 KiB in a debug build, and nothing traps an overflow into the next stack.
    public static let minimumPooledBytes = 32 << 10

    public var description: String { rawValue }
}

/// One anonymous mapping holding `count` thread stacks of `stackBytes` each, 2 MiB-aligned and
/// advised for transparent huge pages (MADV_HUGEPAGE; without THP it is ordinary memory).
///
/// Each stack's lowest `canaryBytes` hold a pattern; when `paint` is set the whole stack does, so
/// `highWaterMark(_:)` tells how deep a thread ever went. glibc places the thread descriptor and
/// static TLS at the top of a stack it is given, so those count as used.
///
/// Threading rule: the memory is written here before the threads start (pthread_create orders
/// that) and read by `highWaterMark`/`canaryIntact` only after they were joined. The mapping
/// lives until `unmap()`, which the owner calls once no thread runs on any stack (never from a
/// deinit: a detached thread may still be finishing on its stack when the last reference goes).
public final class StackPool: @unchecked Sendable {
    // SAFETY: see the threading rule; `base`/`mapping` are immutable after init.
    /// Stacks in the pool.
    public let count: Int
    /// Bytes of each stack (a multiple of 4 KiB).
    public let stackBytes: Int
    /// Whether madvise(MADV_HUGEPAGE) was accepted (the kernel may still use small pages).
    public let hugePagesAdvised: Bool
    /// Whether every stack was painted in full (else only its canary).
    public let painted: Bool
    private let base: UnsafeMutableRawPointer
    private let mapping: UnsafeMutableRawPointer
    private let mappingBytes: Int
    private var unmapped = false

    /// The pattern word painted into stacks.
    static let pattern: UInt64 = 0x5AFE_57AC_CA5E_D00D
    /// Bytes at the bottom of every stack that must never be written.
    public static let canaryBytes = 256
    /// Smallest stack accepted (glibc's PTHREAD_STACK_MIN on x86-64 and arm64 is 16 KiB).
    public static let minimumStackBytes = 16 << 10
    static let hugePage = 2 << 20

    /// Maps and prepares the pool. Throws EINVAL for a bad size or count, or mmap's errno.
    public init(count: Int, stackBytes: Int, paint: Bool) throws(Errno) {
        guard count > 0, stackBytes >= Self.minimumStackBytes, stackBytes % 4096 == 0,
            count <= (Int.max - Self.hugePage) / stackBytes
        else { throw .EINVAL }
        let bytes = count * stackBytes
        let mapBytes = bytes + Self.hugePage
        let raw = try Mapping.anonymous(length: mapBytes)
        let aligned = (UInt(bitPattern: raw) + UInt(Self.hugePage - 1)) & ~UInt(Self.hugePage - 1)
        // SAFETY: `aligned` lies within the mapping (at most hugePage - 1 bytes above `raw`).
        guard let start = UnsafeMutableRawPointer(bitPattern: aligned) else {
            Mapping.unmap(raw, length: mapBytes)
            throw .ENOMEM
        }
        mapping = raw
        mappingBytes = mapBytes
        base = start
        self.count = count
        self.stackBytes = stackBytes
        self.painted = paint
        hugePagesAdvised = Mapping.adviseHugePages(start, length: bytes)
        for i in 0..<count {
            fill(i, words: (paint ? stackBytes : Self.canaryBytes) / 8)
        }
    }

    private func fill(_ i: Int, words: Int) {
        let p = (base + i * stackBytes).bindMemory(to: UInt64.self, capacity: words)
        p.initialize(repeating: Self.pattern, count: words)
    }

    /// Stack `i` for `OSThread(stack:)`.
    public func stack(_ i: Int) -> UnsafeMutableRawBufferPointer {
        precondition(i >= 0 && i < count && !unmapped, "stack index out of range")
        return UnsafeMutableRawBufferPointer(start: base + i * stackBytes, count: stackBytes)
    }

    /// Whether stack `i`'s canary is untouched (false: the thread overflowed into it, or below).
    /// Only after the thread was joined.
    public func canaryIntact(_ i: Int) -> Bool {
        let p = (base + i * stackBytes).assumingMemoryBound(to: UInt64.self)
        for k in 0..<(Self.canaryBytes / 8) where p[k] != Self.pattern { return false }
        return true
    }

    /// Bytes of stack `i` ever written, counted from its top (descriptor and TLS included); nil
    /// when the pool was not painted. Only after the thread was joined.
    public func highWaterMark(_ i: Int) -> Int? {
        guard painted else { return nil }
        let words = stackBytes / 8
        let p = (base + i * stackBytes).assumingMemoryBound(to: UInt64.self)
        var k = 0
        while k < words && p[k] == Self.pattern { k += 1 }
        return (words - k) * 8
    }

    /// Releases the mapping. Only once no thread runs on any of its stacks; later calls do nothing.
    public func unmap() {
        guard !unmapped else { return }
        unmapped = true
        Mapping.unmap(mapping, length: mappingBytes)
    }
}

/// What the pooled worker stacks went through, read after the workers were joined.
public struct StackUsage: Sendable, Equatable {
    /// Bytes of each stack.
    public var stackBytes: Int
    /// The deepest any worker went, from the top of its stack (descriptor and TLS included); nil
    /// when the stacks were not painted.
    public var maxUsedBytes: Int?
    /// Workers whose canary at the bottom of the stack was overwritten (0 in a healthy run).
    public var overflowed: Int
    /// Whether the pool was advised for transparent huge pages.
    public var hugePagesAdvised: Bool

    /// Creates a record.
    public init(stackBytes: Int, maxUsedBytes: Int?, overflowed: Int, hugePagesAdvised: Bool) {
        self.stackBytes = stackBytes
        self.maxUsedBytes = maxUsedBytes
        self.overflowed = overflowed
        self.hugePagesAdvised = hugePagesAdvised
    }

    /// Reads every stack of `pool` (its threads must have been joined).
    public init(_ pool: StackPool) {
        var deepest: Int?
        var overflowed = 0
        for i in 0..<pool.count {
            if !pool.canaryIntact(i) { overflowed += 1 }
            if let used = pool.highWaterMark(i) { deepest = max(deepest ?? 0, used) }
        }
        self.init(
            stackBytes: pool.stackBytes, maxUsedBytes: deepest, overflowed: overflowed,
            hugePagesAdvised: pool.hugePagesAdvised)
    }
}
