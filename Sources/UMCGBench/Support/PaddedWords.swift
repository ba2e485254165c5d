import Synchronization
import UMCGSystem

/// A block of atomics, each alone on its own 128-byte line, at addresses that never move,
/// so a 32-bit word can double as a futex word.
///
/// Threading rule: every accessor may be used from any thread; what each word means and which
/// ordering pairs with which is the owner's business (see the users in this folder).
final class PaddedWords: @unchecked Sendable {
    /// Bytes per line: two cache lines, so adjacent-line prefetch never couples two words.
    static let line = 128

    // SAFETY: allocated once in init, freed in deinit; each line is bound to exactly one
    // Atomic type for the block's whole life, and atomics are only reached through the
    // typed accessors below.
    private let memory: UnsafeMutableRawPointer
    private let count32: Int
    private let count64: Int

    /// Creates `words32` 32-bit and `words64` 64-bit atomics, all zero.
    init(words32: Int, words64: Int) {
        count32 = max(0, words32)
        count64 = max(0, words64)
        let lines = max(1, count32 + count64)
        memory = UnsafeMutableRawPointer.allocate(byteCount: lines * Self.line, alignment: Self.line)
        for i in 0..<count32 {
            (memory + i * Self.line).bindMemory(to: Atomic<UInt32>.self, capacity: 1).initialize(to: Atomic(0))
        }
        for i in 0..<count64 {
            (memory + (count32 + i) * Self.line).bindMemory(to: Atomic<UInt64>.self, capacity: 1)
                .initialize(to: Atomic(0))
        }
    }

    deinit {
        for i in 0..<count32 { word32(i).deinitialize(count: 1) }
        for i in 0..<count64 { word64(i).deinitialize(count: 1) }
        memory.deallocate()
    }

    /// The `index`-th 32-bit atomic (0 ..< words32).
    @inline(__always)
    func word32(_ index: Int) -> UnsafeMutablePointer<Atomic<UInt32>> {
        (memory + index * Self.line).assumingMemoryBound(to: Atomic<UInt32>.self)
    }

    /// The `index`-th 64-bit atomic (0 ..< words64).
    @inline(__always)
    func word64(_ index: Int) -> UnsafeMutablePointer<Atomic<UInt64>> {
        (memory + (count32 + index) * Self.line).assumingMemoryBound(to: Atomic<UInt64>.self)
    }
}

/// FUTEX_WAIT / FUTEX_WAKE on an `Atomic<UInt32>` that lives in `PaddedWords`.
///
/// Both return nothing on purpose: every caller re-checks its condition in a loop, so a
/// spurious wake, EAGAIN (value already changed) and EINTR are all "look again".
enum BaselineFutex {
    /// Sleeps while the word still holds `expected`.
    @inline(__always)
    static func wait(_ word: UnsafeMutablePointer<Atomic<UInt32>>, expected: UInt32) {
        // SAFETY: the kernel only needs the word's address; Atomic<UInt32> has UInt32's layout.
        _ = try? Futex.wait(Futex.address(of: word), expected: expected)
    }

    /// Wakes up to `count` sleepers on the word.
    @inline(__always)
    static func wake(_ word: UnsafeMutablePointer<Atomic<UInt32>>, count: Int32 = 1) {
        // SAFETY: as in `wait`.
        _ = try? Futex.wake(Futex.address(of: word), count: count)
    }
}
