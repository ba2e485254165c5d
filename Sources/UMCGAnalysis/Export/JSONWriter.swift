import UMCGTrace

/// A minimal streaming JSON text builder for the Chrome exporter: raw pieces, escaped
/// strings, microsecond timestamps and array separators, appended as UTF-8 bytes.
struct JSONWriter: Sendable {
    /// The text so far (the owner flushes and clears it).
    var bytes: [UInt8] = []
    private var needsComma = false

    init() { bytes.reserveCapacity(64 * 1024) }

    /// Appends text as is.
    mutating func raw(_ text: String) { bytes.append(contentsOf: text.utf8) }

    /// Writes the comma between array elements (none before the first).
    mutating func separator() {
        if needsComma { bytes.append(contentsOf: ",\n".utf8) }
        needsComma = true
    }

    /// Writes `"key":`, preceded by a comma unless `first`.
    mutating func key(_ key: String, first: Bool = false) {
        if !first { bytes.append(UInt8(ascii: ",")) }
        string(key)
        bytes.append(UInt8(ascii: ":"))
    }

    /// Writes `value` as a JSON string: quotes, backslashes and control characters escaped.
    mutating func string(_ value: String) {
        bytes.append(UInt8(ascii: "\""))
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes.append(contentsOf: "\\\"".utf8)
            case UInt8(ascii: "\\"): bytes.append(contentsOf: "\\\\".utf8)
            case UInt8(ascii: "\n"): bytes.append(contentsOf: "\\n".utf8)
            case UInt8(ascii: "\t"): bytes.append(contentsOf: "\\t".utf8)
            case 0..<0x20:
                let hex: [UInt8] = Array("0123456789abcdef".utf8)
                bytes.append(contentsOf: "\\u00".utf8)
                bytes.append(hex[Int(byte >> 4)])
                bytes.append(hex[Int(byte & 0xF)])
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    /// Writes nanoseconds as microseconds with three decimals ("1234.567").
    mutating func micros(_ nanos: UInt64) {
        raw(String(nanos / 1000))
        let fraction = nanos % 1000
        bytes.append(UInt8(ascii: "."))
        bytes.append(UInt8(ascii: "0") + UInt8(fraction / 100))
        bytes.append(UInt8(ascii: "0") + UInt8(fraction / 10 % 10))
        bytes.append(UInt8(ascii: "0") + UInt8(fraction % 10))
    }
}
