// JSON with keys in a chosen order: Foundation's JSONEncoder orders keys by hash on Linux (or sorts them), and the
// scoring response reads best in the order of its contract.
import VigilResults

/// A JSON value whose objects keep their key order.
public indirect enum OrderedJSON: Equatable, Sendable {
    case null
    case bool(Bool)
    case int(Int)
    /// A finite double (callers never pass NaN or ±∞: JSON has no spelling for them; they render as `null`).
    case number(Double)
    case string(String)
    case array([OrderedJSON])
    case object([(String, OrderedJSON)])

    /// The same value as `JSONValue` holds it (objects in sorted key order, as JSONValue has no order).
    public init(_ v: JSONValue) {
        switch v {
        case .null: self = .null
        case .bool(let b): self = .bool(b)
        case .int(let i): self = .int(i)
        case .double(let d): self = .number(d)
        case .string(let s): self = .string(s)
        case .array(let a): self = .array(a.map(OrderedJSON.init))
        case .object(let o): self = .object(o.keys.sorted().map { ($0, OrderedJSON(o[$0]!)) })
        }
    }

    public static func == (a: OrderedJSON, b: OrderedJSON) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case let (.bool(x), .bool(y)): return x == y
        case let (.int(x), .int(y)): return x == y
        case let (.number(x), .number(y)): return x.bitPattern == y.bitPattern
        case let (.string(x), .string(y)): return x == y
        case let (.array(x), .array(y)): return x == y
        case let (.object(x), .object(y)): return x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: return false
        }
    }

    /// Pretty-printed text (two-space indent, `"key" : value` as Foundation writes it). Numbers use Swift's shortest
    /// representation that reads back to the same double (e.g. `0.19062573492971926`, `1e-05`, `5.0`).
    public func rendered() -> String {
        var out = ""
        write(into: &out, indent: 0)
        return out
    }

    private func write(into out: inout String, indent: Int) {
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .number(let d): out += d.isFinite ? d.description : "null"
        case .string(let s): Self.quote(s, into: &out)
        case .array(let a):
            guard !a.isEmpty else { out += "[]"; return }
            out += "[\n"
            for (i, v) in a.enumerated() {
                out += String(repeating: "  ", count: indent + 1)
                v.write(into: &out, indent: indent + 1)
                out += i + 1 < a.count ? ",\n" : "\n"
            }
            out += String(repeating: "  ", count: indent) + "]"
        case .object(let o):
            guard !o.isEmpty else { out += "{}"; return }
            out += "{\n"
            for (i, (k, v)) in o.enumerated() {
                out += String(repeating: "  ", count: indent + 1)
                Self.quote(k, into: &out)
                out += " : "
                v.write(into: &out, indent: indent + 1)
                out += i + 1 < o.count ? ",\n" : "\n"
            }
            out += String(repeating: "  ", count: indent) + "}"
        }
    }

    /// A JSON string literal: `"` and `\` escaped, control characters as \n, \t, \r or \u00XX.
    static func quote(_ s: String, into out: inout String) {
        out += "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where u.value < 0x20:
                let h = String(u.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - h.count) + h
            default: out.unicodeScalars.append(u)
            }
        }
        out += "\""
    }
}
