/// Reads untrusted little-endian integers, varints and strings from a byte array, checking every length.
///
/// Errors name the file offset: `base` is the offset of `bytes[0]` in the file.
struct ByteReader {
    let bytes: [UInt8]
    /// File offset of `bytes[0]`.
    let base: Int
    /// Next byte to read.
    var position: Int = 0

    init(_ bytes: [UInt8], base: Int) {
        self.bytes = bytes
        self.base = base
    }

    /// Bytes not read yet.
    var remaining: Int { bytes.count - position }
    /// The file offset of the next byte.
    var offset: Int { base + position }

    /// A data error at the current position.
    func error(_ reason: String) -> TraceFileError { .invalid(offset: offset, reason: reason) }

    @inline(__always)
    private mutating func need(_ n: Int, _ what: String) throws(TraceFileError) {
        if remaining < n { throw error("\(what) runs past the end of its record") }
    }

    mutating func u8(_ what: String = "byte") throws(TraceFileError) -> UInt8 {
        try need(1, what)
        defer { position += 1 }
        return bytes[position]
    }

    mutating func u16(_ what: String = "u16") throws(TraceFileError) -> UInt16 {
        UInt16(try fixed(2, what))
    }

    mutating func u32(_ what: String = "u32") throws(TraceFileError) -> UInt32 {
        UInt32(truncatingIfNeeded: try fixed(4, what))
    }

    mutating func u64(_ what: String = "u64") throws(TraceFileError) -> UInt64 {
        try fixed(8, what)
    }

    private mutating func fixed(_ n: Int, _ what: String) throws(TraceFileError) -> UInt64 {
        try need(n, what)
        var v: UInt64 = 0
        for i in 0..<n { v |= UInt64(bytes[position + i]) << UInt64(8 * i) }
        position += n
        return v
    }

    /// An unsigned LEB128 varint of at most 10 bytes that fits 64 bits.
    @inline(__always)
    mutating func varint(_ what: String = "varint") throws(TraceFileError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        let start = position
        while true {
            if position >= bytes.count {
                position = start
                throw error("\(what) runs past the end of its record")
            }
            let byte = bytes[position]
            position += 1
            if shift == 63 && byte > 1 {
                position = start
                throw error("\(what) overflows 64 bits")
            }
            result |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
        }
    }

    /// A varint that must be ≤ `max`.
    mutating func varint(_ what: String, max: UInt64) throws(TraceFileError) -> UInt64 {
        let start = position
        let v = try varint(what)
        if v > max {
            position = start
            throw error("\(what) \(v) exceeds \(max)")
        }
        return v
    }

    /// A varint-length-prefixed UTF-8 string of at most `maxLength` bytes (invalid UTF-8 is repaired).
    mutating func string(_ what: String, maxLength: Int) throws(TraceFileError) -> String {
        let start = position
        let n = Int(try varint("\(what) length", max: UInt64(maxLength)))
        if remaining < n {
            position = start
            throw error("\(what) (\(n) bytes) runs past the end of its record")
        }
        defer { position += n }
        return String(decoding: bytes[position..<position + n], as: UTF8.self)
    }

    /// A count of items that each take at least `minBytes`: rejects counts the remaining bytes cannot hold.
    mutating func count(_ what: String, minBytes: Int, max: UInt64 = UInt64(Int32.max)) throws(TraceFileError) -> Int {
        let start = position
        let n = try varint(what, max: max)
        if n > UInt64(remaining / Swift.max(1, minBytes)) {
            position = start
            throw error("\(what) \(n) cannot fit in the \(remaining) bytes left")
        }
        return Int(n)
    }
}
