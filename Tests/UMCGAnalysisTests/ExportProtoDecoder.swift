// A minimal, strict protobuf wire-format decoder for checking exporter output in tests.
// Independent of the encoder: it re-derives every length and rejects anything malformed.

/// One decoded field.
struct ProtoField: Equatable {
    var number: UInt32
    var wireType: UInt8
    /// Varint value, or the raw bits of a fixed64/fixed32.
    var scalar: UInt64
    /// Payload of a length-delimited field.
    var payload: [UInt8]

    var string: String? { wireType == 2 ? String(decoding: payload, as: UTF8.self) : nil }
    var int32: Int32 { Int32(truncatingIfNeeded: Int64(bitPattern: scalar)) }
    var int64: Int64 { Int64(bitPattern: scalar) }
    var double: Double { Double(bitPattern: scalar) }

    /// The payload decoded as a nested message.
    func message() throws -> ProtoMessage { try ProtoMessage(decoding: payload) }
}

/// Why decoding failed, with the byte offset.
enum ProtoDecodeError: Error, Equatable {
    case truncated(offset: Int)
    case varintTooLong(offset: Int)
    case badWireType(UInt8, offset: Int)
    case fieldZero(offset: Int)
}

/// A decoded message: its fields in order.
struct ProtoMessage {
    var fields: [ProtoField] = []

    init(decoding bytes: [UInt8]) throws {
        var offset = 0
        func varint() throws -> UInt64 {
            var result: UInt64 = 0
            var shift: UInt64 = 0
            let start = offset
            while true {
                guard offset < bytes.count else { throw ProtoDecodeError.truncated(offset: offset) }
                guard shift < 64 else { throw ProtoDecodeError.varintTooLong(offset: start) }
                let byte = bytes[offset]
                offset += 1
                result |= UInt64(byte & 0x7F) << shift
                if byte & 0x80 == 0 { return result }
                shift += 7
            }
        }
        while offset < bytes.count {
            let keyOffset = offset
            let key = try varint()
            let number = UInt32(truncatingIfNeeded: key >> 3)
            let wireType = UInt8(key & 7)
            guard number != 0 else { throw ProtoDecodeError.fieldZero(offset: keyOffset) }
            var field = ProtoField(number: number, wireType: wireType, scalar: 0, payload: [])
            switch wireType {
            case 0:
                field.scalar = try varint()
            case 1, 5:
                let width = wireType == 1 ? 8 : 4
                guard offset + width <= bytes.count else { throw ProtoDecodeError.truncated(offset: offset) }
                for i in 0..<width { field.scalar |= UInt64(bytes[offset + i]) << UInt64(8 * i) }
                offset += width
            case 2:
                let length = try varint()
                guard length <= UInt64(bytes.count - offset) else { throw ProtoDecodeError.truncated(offset: offset) }
                field.payload = Array(bytes[offset..<offset + Int(length)])
                offset += Int(length)
            default:
                throw ProtoDecodeError.badWireType(wireType, offset: keyOffset)
            }
            fields.append(field)
        }
    }

    /// All fields numbered `number`.
    func all(_ number: UInt32) -> [ProtoField] { fields.filter { $0.number == number } }
    /// The last field numbered `number` (protobuf's "last one wins").
    func first(_ number: UInt32) -> ProtoField? { fields.last { $0.number == number } }
    /// The nested message in field `number`, if present.
    func message(_ number: UInt32) throws -> ProtoMessage? { try first(number)?.message() }
    /// Whether field `number` is present.
    func has(_ number: UInt32) -> Bool { fields.contains { $0.number == number } }
}
