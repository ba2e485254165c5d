/// A minimal JSON value with ordered object keys, for `umcgtop bench --json` (scripts read the
/// keys; keeping them in a fixed order also makes the output diffable).
public indirect enum BenchJSON: Sendable, Equatable {
    case string(String)
    case double(Double)
    case int(Int64)
    case bool(Bool)
    case null
    case array([BenchJSON])
    case object([(String, BenchJSON)])

    public static func == (a: BenchJSON, b: BenchJSON) -> Bool { a.rendered == b.rendered }

    /// Compact JSON text (one line).
    public var rendered: String {
        var out = ""
        write(to: &out)
        return out
    }

    private func write(to out: inout String) {
        switch self {
        case .string(let s): Self.writeString(s, to: &out)
        case .double(let d):
            // JSON has no NaN/Infinity; Swift's shortest round-trip form is valid JSON otherwise.
            if d.isFinite { out += d == d.rounded() && abs(d) < 1e15 ? "\(Int64(d)).0" : "\(d)" } else { out += "null" }
        case .int(let i): out += "\(i)"
        case .bool(let b): out += b ? "true" : "false"
        case .null: out += "null"
        case .array(let xs):
            out += "["
            for (i, x) in xs.enumerated() {
                if i > 0 { out += ", " }
                x.write(to: &out)
            }
            out += "]"
        case .object(let kvs):
            out += "{"
            for (i, (k, v)) in kvs.enumerated() {
                if i > 0 { out += ", " }
                Self.writeString(k, to: &out)
                out += ": "
                v.write(to: &out)
            }
            out += "}"
        }
    }

    private static func writeString(_ s: String, to out: inout String) {
        out += "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where u.value < 0x20:
                let hex = String(u.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(u)
            }
        }
        out += "\""
    }
}
