import Synchronization

/// An info or snapshot area of a region: u32 sequence (odd while the one writer writes), u32
/// payload length, u32 CRC-32C of the payload, u32 reserved, payload.
///
/// Threading rule: one writer (the publisher thread); readers in any process copy the payload
/// out and trust it only when the sequence was even and unchanged around the copy and the CRC
/// matches. The offset and size were validated against the mapping by whoever made this value.
struct SeqlockArea {
    let memory: RegionMemory
    /// Where the area starts (4-byte aligned).
    let offset: Int
    /// The area's bytes, header included.
    let bytes: Int

    /// The most payload bytes it holds.
    var capacity: Int { bytes - RegionLayout.areaHeaderBytes }

    private var sequence: UnsafeMutablePointer<Atomic<UInt32>> { memory.atomic32(offset) }

    /// Writes `payload`; false (nothing written) when it does not fit. Writer only.
    func write(_ payload: [UInt8]) -> Bool {
        guard payload.count <= capacity else { return false }
        // Relaxed: only this thread writes the sequence.
        let s = sequence.pointee.load(ordering: .relaxed)
        let odd = s | 1 == s ? s &+ 2 : s &+ 1
        // Relaxed + the releasing fence below: readers that see data written after this see it odd.
        sequence.pointee.store(odd, ordering: .relaxed)
        atomicMemoryFence(ordering: .releasing)
        memory.setU32(offset + 4, UInt32(payload.count))
        memory.setU32(offset + 8, payload.withUnsafeBytes { CRC32C.update(0, $0) })
        payload.withUnsafeBytes { raw in
            if let source = raw.baseAddress {
                (memory.base + offset + RegionLayout.areaHeaderBytes).copyMemory(from: source, byteCount: raw.count)
            }
        }
        // Releasing: pairs with the reader's acquiring load of the sequence; the payload is complete.
        sequence.pointee.store(odd &+ 1, ordering: .releasing)
        return true
    }

    /// What a read found.
    enum ReadResult: Equatable {
        /// Nothing was ever written.
        case empty
        /// A writer was busy (or the bytes kept changing) on every attempt.
        case torn
        /// A consistent payload.
        case payload([UInt8])
        /// A consistent area whose length cannot be right.
        case invalid(String)
    }

    /// Copies the payload out, retrying a torn read `attempts` times. Never trusts a length
    /// beyond `capacity`; allocates at most `capacity` bytes.
    func read(attempts: Int = 4) -> ReadResult {
        for _ in 0..<max(1, attempts) {
            // Acquiring: pairs with the writer's releasing store of an even sequence.
            let s1 = sequence.pointee.load(ordering: .acquiring)
            if s1 == 0 { return .empty }
            if s1 & 1 == 1 { continue }
            let length = Int(memory.u32(offset + 4))
            let crc = memory.u32(offset + 8)
            var copy: [UInt8]?
            if length <= capacity {
                copy = [UInt8](
                    unsafeUninitializedCapacity: length,
                    initializingWith: { buffer, count in
                        if let dst = buffer.baseAddress, length > 0 {
                            UnsafeMutableRawPointer(dst).copyMemory(
                                from: memory.base + offset + RegionLayout.areaHeaderBytes, byteCount: length)
                        }
                        count = length
                    })
            }
            // Acquiring fence: the copies above happen before the second look at the sequence.
            atomicMemoryFence(ordering: .acquiring)
            // Relaxed: ordered by the fence above.
            let s2 = sequence.pointee.load(ordering: .relaxed)
            if s1 != s2 { continue }
            guard let copy else { return .invalid("area length \(length) exceeds its \(capacity) bytes") }
            if copy.withUnsafeBytes({ CRC32C.update(0, $0) }) != crc { continue }
            return .payload(copy)
        }
        return .torn
    }
}
