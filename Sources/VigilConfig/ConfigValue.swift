// The values a configuration holds once YAML has been read: a small JSON-like tree, with a canonical
// JSON form (sorted keys, shortest round-trip numbers) that identifies an experiment by its sha256.
import Foundation
import VigilIO

/// A configuration value: what a YAML scalar, sequence or mapping becomes after type checking.
///
/// Plain YAML scalars are read as in YAML 1.2's core schema: `null`/`~`/empty → `.null`, `true`/`false` → `.bool`,
/// decimal integers → `.int`, decimal or exponent numbers → `.double`, anything else → `.string`. Quoted scalars
/// are always strings (`"5"` is the string 5). YAML 1.1's `yes`/`no`/`on`/`off` are strings, not booleans.
public indirect enum ConfigValue: Equatable, Sendable, CustomStringConvertible {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case list([ConfigValue])
    /// A mapping in its written order (keys unique).
    case map([ConfigEntry])

    /// The value as a Double when it is a number.
    public var number: Double? {
        switch self {
        case .int(let i): return Double(i)
        case .double(let d): return d
        default: return nil
        }
    }

    /// The value as a String when it is one.
    public var string: String? { if case .string(let s) = self { return s }; return nil }

    /// Short human form used in error messages and tables (`1e-05`, `[tranad, iforest]`, `"all"` → `all`).
    public var description: String {
        switch self {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .double(let d): return ConfigValue.format(d)
        case .string(let s): return s
        case .list(let l): return "[" + l.map(\.description).joined(separator: ", ") + "]"
        case .map(let m): return "{" + m.map { "\($0.key): \($0.value)" }.joined(separator: ", ") + "}"
        }
    }

    /// Shortest round-trip form of a finite Double (`0.0001`, `1e-05`, `5.0`).
    static func format(_ d: Double) -> String {
        if d.isNaN { return "nan" }
        if d.isInfinite { return d > 0 ? "inf" : "-inf" }
        return "\(d)"
    }

    /// Canonical JSON: mapping keys sorted, no whitespace, numbers in shortest round-trip form (integers without
    /// a fraction, doubles always with a fraction or exponent so 5 and 5.0 differ as their types do).
    public var canonicalJSON: String {
        switch self {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .double(let d):
            let s = ConfigValue.format(d)
            return s.contains(".") || s.contains("e") ? s : s + ".0"
        case .string(let s): return ConfigValue.jsonString(s)
        case .list(let l): return "[" + l.map(\.canonicalJSON).joined(separator: ",") + "]"
        case .map(let m):
            return "{" + m.sorted { $0.key < $1.key }.map { ConfigValue.jsonString($0.key) + ":" + $0.value.canonicalJSON }
                .joined(separator: ",") + "}"
        }
    }

    /// A JSON string literal (quotes, backslash and control characters escaped): `JSONText.quoted`.
    static func jsonString(_ s: String) -> String { JSONText.quoted(s) }

    /// The value as a Foundation JSON object (for embedding in JSON documents).
    public var jsonObject: Any {
        switch self {
        case .null: return NSNull()
        case .bool(let b): return b
        case .int(let i): return i
        case .double(let d): return d
        case .string(let s): return s
        case .list(let l): return l.map(\.jsonObject)
        case .map(let m): return Dictionary(uniqueKeysWithValues: m.map { ($0.key, $0.value.jsonObject) })
        }
    }
}

/// One key of a mapping value.
public struct ConfigEntry: Equatable, Sendable {
    public var key: String
    public var value: ConfigValue
    public init(_ key: String, _ value: ConfigValue) { self.key = key; self.value = value }
}

/// Where a configuration value came from: a file position, a `--set` argument, or the schema default.
public enum ConfigOrigin: Equatable, Sendable, CustomStringConvertible {
    /// `file:line:column` (1-based) in a YAML file.
    case file(path: String, line: Int, column: Int)
    /// `--set key=value` on the command line.
    case commandLine(argument: String)
    /// The schema's default (nothing set it).
    case defaultValue

    public var description: String {
        switch self {
        case let .file(p, l, c): return "\(p):\(l):\(c)"
        case let .commandLine(a): return "--set \(a)"
        case .defaultValue: return "default"
        }
    }
}
