import UMCGTrace

/// The protobuf wire types the exporter writes (protobuf encoding spec, "Message Structure").
public enum ProtoWireType: UInt8, Sendable {
    /// int32, int64, uint32, uint64, bool, enum.
    case varint = 0
    /// fixed64, double.
    case fixed64 = 1
    /// string, bytes, embedded messages.
    case lengthDelimited = 2
    /// fixed32, float.
    case fixed32 = 5
}

/// A hand-written protobuf wire-format encoder: appends fields to a byte array.
///
/// Nested messages are encoded in place and their length filled in afterwards, so the caller
/// never computes sizes. A value type: each owner has its own.
public struct ProtoWriter: Sendable {
    /// The encoded bytes so far.
    public private(set) var bytes: [UInt8]

    /// Creates an empty writer with room for `capacity` bytes.
    public init(capacity: Int = 0) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    /// Number of encoded bytes.
    public var count: Int { bytes.count }

    /// Drops the bytes, keeping the capacity.
    public mutating func removeAll() { bytes.removeAll(keepingCapacity: true) }

    /// Appends a base-128 varint.
    public mutating func appendVarint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(truncatingIfNeeded: v))
    }

    /// Appends a field key (`field << 3 | wireType`).
    public mutating func appendKey(_ field: UInt32, _ wireType: ProtoWireType) {
        appendVarint(UInt64(field) << 3 | UInt64(wireType.rawValue))
    }

    /// Writes a uint32/uint64/enum/bool field as a varint.
    public mutating func uint(_ field: UInt32, _ value: UInt64) {
        appendKey(field, .varint)
        appendVarint(value)
    }

    /// Writes an int32 field (negative values sign-extend to 10 bytes, as protobuf requires).
    public mutating func int32(_ field: UInt32, _ value: Int32) {
        int64(field, Int64(value))
    }

    /// Writes an int64 field (two's complement varint, not zigzag).
    public mutating func int64(_ field: UInt32, _ value: Int64) {
        appendKey(field, .varint)
        appendVarint(UInt64(bitPattern: value))
    }

    /// Writes a double field as little-endian fixed64.
    public mutating func double(_ field: UInt32, _ value: Double) {
        appendKey(field, .fixed64)
        let bits = value.bitPattern
        for shift in stride(from: 0, to: 64, by: 8) {
            bytes.append(UInt8(truncatingIfNeeded: bits >> UInt64(shift)))
        }
    }

    /// Writes a string field as UTF-8.
    public mutating func string(_ field: UInt32, _ value: String) {
        appendKey(field, .lengthDelimited)
        let utf8 = value.utf8
        appendVarint(UInt64(utf8.count))
        bytes.append(contentsOf: utf8)
    }

    /// Appends already-encoded fields as they are.
    public mutating func appendRaw(_ encoded: [UInt8]) {
        bytes.append(contentsOf: encoded)
    }

    /// Writes an embedded message built by `build`, in place: a one-byte length is reserved
    /// and widened afterwards only when the message reached 128 bytes (a single tail move).
    public mutating func message(_ field: UInt32, _ build: (inout ProtoWriter) -> Void) {
        appendKey(field, .lengthDelimited)
        let lengthAt = bytes.count
        bytes.append(0)
        build(&self)
        let length = bytes.count - lengthAt - 1
        if length < 0x80 {
            bytes[lengthAt] = UInt8(length)
        } else {
            var prefix = ProtoWriter()
            prefix.appendVarint(UInt64(length))
            bytes.replaceSubrange(lengthAt..<lengthAt + 1, with: prefix.bytes)
        }
    }
}
