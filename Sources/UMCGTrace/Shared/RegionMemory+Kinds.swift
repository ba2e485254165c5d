import Synchronization
import UMCGSystem

extension RegionMemory {
    /// Writes the header's kind table: a ring slot's kind byte is the Swift enum's tag (the
    /// case's declaration index), not its raw value; the table maps one to the other so a viewer
    /// of another version decodes kinds by raw value.
    func writeKindTable() {
        let kinds = TraceEventKind.allCases
        base.storeBytes(of: UInt8(kinds.count), toByteOffset: RegionLayout.kindTableOffset, as: UInt8.self)
        for (tag, kind) in kinds.enumerated() {
            base.storeBytes(of: kind.rawValue, toByteOffset: RegionLayout.kindTableOffset + 1 + tag, as: UInt8.self)
        }
    }

    /// The header's kind table as tag → kind (nil: a tag the target has that we do not know).
    func readKindTable() -> [TraceEventKind?] {
        let count = min(Int(u8(RegionLayout.kindTableOffset)), RegionLayout.kindTableBytes - 1)
        return (0..<count).map { TraceEventKind(rawValue: u8(RegionLayout.kindTableOffset + 1 + $0)) }
    }

    /// The in-memory tag of `kind` (its index among the cases).
    static func tag(of kind: TraceEventKind) -> UInt8 {
        withUnsafeBytes(of: kind) { $0[0] }
    }
}

extension RegionMemory {
    /// Viewer slots held by a live process. A viewer killed before it detached leaves its pid in
    /// its slot until another viewer takes the slot; it is not counted.
    func liveViewerCount() -> Int {
        (0..<RegionLayout.viewerSlotCount).reduce(0) { n, i in
            // Relaxed: a count for display.
            let pid = atomic32(RegionLayout.viewerSlotsOffset + i * RegionLayout.viewerSlotBytes).pointee.load(
                ordering: .relaxed)
            return n + (pid != 0 && ProcessIdentity.isAlive(Int32(bitPattern: pid)) ? 1 : 0)
        }
    }
}
