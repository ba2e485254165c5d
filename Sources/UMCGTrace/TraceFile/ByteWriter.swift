/// Appends little-endian integers, LEB128 varints and length-prefixed strings to a byte array.
struct ByteWriter {
    /// The bytes written so far.
    var bytes: [UInt8] = []

    /// Creates an empty writer with room for `capacity` bytes.
    init(capacity: Int = 0) { bytes.reserveCapacity(capacity) }

    mutating func u8(_ v: UInt8) { bytes.append(v) }
    mutating func u16(_ v: UInt16) {
        bytes.append(UInt8(truncatingIfNeeded: v))
        bytes.append(UInt8(truncatingIfNeeded: v >> 8))
    }
    mutating func u32(_ v: UInt32) {
        for s in stride(from: 0, to: 32, by: 8) { bytes.append(UInt8(truncatingIfNeeded: v >> UInt32(s))) }
    }
    mutating func u64(_ v: UInt64) {
        for s in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8(truncatingIfNeeded: v >> UInt64(s))) }
    }

    /// Unsigned LEB128: 7 bits per byte, high bit set on all but the last (1–10 bytes).
    @inline(__always)
    mutating func varint(_ v: UInt64) {
        var v = v
        while v >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    /// A UTF-8 string as varint length + bytes, cut at `maxLength` bytes (on a character boundary).
    mutating func string(_ s: String, maxLength: Int) {
        var utf8 = Array(s.utf8)
        if utf8.count > maxLength {
            var cut = maxLength
            while cut > 0 && utf8[cut] & 0xC0 == 0x80 { cut -= 1 }  // do not split a code point
            utf8.removeSubrange(cut...)
        }
        varint(UInt64(utf8.count))
        bytes.append(contentsOf: utf8)
    }

}

/// Zigzag mapping of a signed delta onto an unsigned varint (0, -1, 1, -2 … → 0, 1, 2, 3 …).
@inline(__always)
func zigzag(_ v: Int64) -> UInt64 { UInt64(bitPattern: (v << 1) ^ (v >> 63)) }

/// Inverse of `zigzag`.
@inline(__always)
func unzigzag(_ v: UInt64) -> Int64 { Int64(bitPattern: v >> 1) ^ -Int64(bitPattern: v & 1) }
