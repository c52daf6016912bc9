// A config checked against its schema with every default filled in: one value per key, where each came from,
// and the sha256 that identifies the experiment.
import Foundation
import VigilIO
import VigilData

/// Every key of a schema with its value (written, overridden or default) and origin.
public struct ResolvedConfig: Sendable, Equatable {
    /// The schema the values were checked against.
    public let schemaKeys: [String]
    /// Value of every key, by dotted path.
    public private(set) var values: [String: ConfigValue]
    /// Where each value came from.
    public private(set) var origins: [String: ConfigOrigin]
    /// The keys that are part of the experiment's identity.
    public let identityKeys: Set<String>
    /// The config file the values were read from (nil when built in code).
    public var sourceFile: String?

    public static func == (a: ResolvedConfig, b: ResolvedConfig) -> Bool { a.values == b.values }

    /// Checks `root` (a mapping) against `schema`: unknown keys (with a suggestion), wrong types and out-of-range
    /// values are collected and thrown together, sorted by position.
    public init(_ root: ConfigNode, schema: ConfigSchema = .experiment, sourceFile: String? = nil) throws {
        var values: [String: ConfigValue] = [:]
        var origins: [String: ConfigOrigin] = [:]
        var problems: [ConfigProblem] = []
        func walk(_ node: ConfigNode, section: String) {
            guard case .mapping(let entries, _) = node else {
                problems.append(ConfigProblem(origin: node.origin, keyPath: section,
                                              message: "expected a mapping of keys (\(schema.children(of: section).joined(separator: ", ")))"))
                return
            }
            for e in entries {
                let path = section.isEmpty ? e.key : section + "." + e.key
                if let key = schema.key(path) {
                    switch key.type.check(e.value.value) {
                    case .success(let v): values[path] = v; origins[path] = e.value.origin
                    case .failure(let err): problems.append(ConfigProblem(origin: e.value.origin, keyPath: path, message: err.message))
                    }
                } else if schema.isSection(path) {
                    walk(e.value, section: path)
                } else {
                    let siblings = schema.children(of: section)
                    let hint = closestMatch(e.key, in: siblings).map { " (did you mean \($0)?)" }
                        ?? " (valid here: \(siblings.joined(separator: ", ")))"
                    problems.append(ConfigProblem(origin: e.keyOrigin, keyPath: path, message: "unknown key" + hint))
                }
            }
        }
        walk(root, section: "")
        if !problems.isEmpty { throw ConfigError(ResolvedConfig.sorted(problems)) }
        for k in schema.keys where values[k.path] == nil {
            values[k.path] = k.defaultValue
            origins[k.path] = .defaultValue
        }
        self.schemaKeys = schema.keys.map(\.path)
        self.values = values
        self.origins = origins
        self.identityKeys = Set(schema.keys.filter(\.identity).map(\.path))
        self.sourceFile = sourceFile
    }

    /// Loads `path` with its `base` chain, applies `overrides` (`key.path=value`, in order) and resolves it.
    public static func load(path: String, overrides: [String] = [], schema: ConfigSchema = .experiment) throws -> ResolvedConfig {
        var root = try ConfigDocument.load(path: path)
        for o in overrides { root = try ConfigDocument.applyOverride(o, to: root) }
        return try ResolvedConfig(root, schema: schema, sourceFile: path)
    }

    /// The defaults of `schema` (what an empty config file gives).
    public static func defaults(schema: ConfigSchema = .experiment) -> ResolvedConfig {
        try! ResolvedConfig(.mapping([], .defaultValue), schema: schema)
    }

    /// A copy with `path` set to `value` (checked against the key's type), e.g. by a sweep.
    public func setting(_ path: String, _ value: ConfigValue, origin: ConfigOrigin, schema: ConfigSchema = .experiment) throws -> ResolvedConfig {
        guard let key = schema.key(path) else {
            let hint = closestMatch(path, in: schemaKeys).map { " (did you mean \($0)?)" } ?? ""
            throw ConfigError(origin: origin, keyPath: path, "unknown key" + hint)
        }
        switch key.type.check(value) {
        case .success(let v):
            var copy = self
            copy.values[path] = v
            copy.origins[path] = origin
            return copy
        case .failure(let e):
            throw ConfigError(origin: origin, keyPath: path, e.message)
        }
    }

    /// The value of `path` (every schema key has one).
    public subscript(path: String) -> ConfigValue {
        guard let v = values[path] else { preconditionFailure("ResolvedConfig: \(path) is not a schema key") }
        return v
    }

    /// The value of `path` as a nested mapping tree (sections as mappings), restricted to `keys`.
    public func tree(keys: [String]? = nil) -> ConfigValue {
        var root: [ConfigEntry] = []
        func insert(_ parts: ArraySlice<String>, _ v: ConfigValue, into entries: inout [ConfigEntry]) {
            let head = parts.first!
            if parts.count == 1 { entries.append(ConfigEntry(head, v)); return }
            if let i = entries.firstIndex(where: { $0.key == head }), case .map(var sub) = entries[i].value {
                insert(parts.dropFirst(), v, into: &sub)
                entries[i].value = .map(sub)
            } else {
                var sub: [ConfigEntry] = []
                insert(parts.dropFirst(), v, into: &sub)
                entries.append(ConfigEntry(head, .map(sub)))
            }
        }
        for k in keys ?? schemaKeys {
            insert(k.split(separator: ".").map(String.init)[...], self[k], into: &root)
        }
        return .map(root)
    }

    /// Canonical JSON of the identity keys: what `config_sha256` hashes.
    public var identityJSON: String { tree(keys: schemaKeys.filter { identityKeys.contains($0) }).canonicalJSON }

    /// sha256 (hex) of `identityJSON`: identifies what an experiment computes, independent of key order, comments,
    /// base files, where the data came from and which machines were selected.
    public var sha256: String { SHA256Hasher.hex(of: Array(identityJSON.utf8)) }

    /// The sha256 this config had under a schema that held only `keys` (a run recorded before the schema gained the
    /// others): the identity keys among `keys`, hashed as `sha256` hashes them. nil when a key outside `keys` is set
    /// (not at its default): such a config computes something an older Vigil could not have, so it is not that run's.
    public func sha256(underOlderSchemaWith keys: Set<String>) -> String? {
        guard schemaKeys.allSatisfy({ keys.contains($0) || origins[$0] == .defaultValue }) else { return nil }
        let json = tree(keys: schemaKeys.filter { identityKeys.contains($0) && keys.contains($0) }).canonicalJSON
        return SHA256Hasher.hex(of: Array(json.utf8))
    }

    /// The whole resolved config as YAML, sections in schema order, each key commented with its origin when it was
    /// not the default.
    public func yaml(header: String? = nil) -> String {
        var out = header.map { $0.split(separator: "\n", omittingEmptySubsequences: false).map { "# " + $0 }.joined(separator: "\n") + "\n" } ?? ""
        func emit(_ v: ConfigValue, indent: Int, key: String, path: String) {
            let pad = String(repeating: "  ", count: indent)
            if case .map(let entries) = v {
                out += "\(pad)\(key):\n"
                for e in entries { emit(e.value, indent: indent + 1, key: e.key, path: path + "." + e.key) }
                return
            }
            var line = "\(pad)\(key): \(ResolvedConfig.yamlScalar(v))"
            if let o = origins[String(path.dropFirst())], o != .defaultValue { line += "  # \(o)" }
            out += line + "\n"
        }
        if case .map(let entries) = tree() {
            for e in entries { emit(e.value, indent: 0, key: e.key, path: "." + e.key) }
        }
        return out
    }

    /// A YAML flow form of a value that reads back as the same value.
    static func yamlScalar(_ v: ConfigValue) -> String {
        switch v {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .double(let d):
            let s = ConfigValue.format(d)
            return s.contains(".") || s.contains("e") ? s : s + ".0"
        case .string(let s):
            let plain = s.range(of: #"^[A-Za-z_/][A-Za-z0-9_./()\-]*$"#, options: .regularExpression) != nil
                && ["null", "true", "false", "Null", "True", "False", "NULL", "TRUE", "FALSE", "~"].allSatisfy { $0 != s }
            return plain ? s : ConfigValue.jsonString(s)
        case .list(let l): return "[" + l.map(yamlScalar).joined(separator: ", ") + "]"
        case .map(let m): return "{" + m.map { "\($0.key): \(yamlScalar($0.value))" }.joined(separator: ", ") + "}"
        }
    }

    /// Problems ordered by file position, then command-line arguments, then the rest (stable).
    public static func sorted(_ problems: [ConfigProblem]) -> [ConfigProblem] {
        func rank(_ o: ConfigOrigin?) -> (Int, String, Int, Int) {
            switch o {
            case let .file(p, l, c)?: return (0, p, l, c)
            case let .commandLine(a)?: return (1, a, 0, 0)
            default: return (2, "", 0, 0)
            }
        }
        return problems.enumerated().sorted { a, b in
            let (x, y) = (rank(a.element.origin), rank(b.element.origin))
            if x != y { return x < y }
            return a.offset < b.offset
        }.map(\.element)
    }
}
