// A config file as read: a tree of values that remembers where every key and value was written, so every
// error can name file:line:column. `base` chains are merged here; `--set` overrides are applied here.
import Foundation
import Yams

/// A value tree node with the place it came from.
public indirect enum ConfigNode: Sendable {
    case scalar(ConfigValue, ConfigOrigin)
    case sequence([ConfigNode], ConfigOrigin)
    case mapping([ConfigNodeEntry], ConfigOrigin)

    public var origin: ConfigOrigin {
        switch self {
        case .scalar(_, let o), .sequence(_, let o), .mapping(_, let o): return o
        }
    }

    /// The plain value (origins dropped).
    public var value: ConfigValue {
        switch self {
        case .scalar(let v, _): return v
        case .sequence(let items, _): return .list(items.map(\.value))
        case .mapping(let entries, _): return .map(entries.map { ConfigEntry($0.key, $0.value.value) })
        }
    }
}

/// One key of a mapping node, with the place the key was written.
public struct ConfigNodeEntry: Sendable {
    public var key: String
    public var keyOrigin: ConfigOrigin
    public var value: ConfigNode
    public init(key: String, keyOrigin: ConfigOrigin, value: ConfigNode) { self.key = key; self.keyOrigin = keyOrigin; self.value = value }
}

/// One problem found in a config: where, which key, what is wrong.
public struct ConfigProblem: Equatable, Sendable, CustomStringConvertible {
    public var origin: ConfigOrigin?
    /// Dotted key path (empty for the whole document).
    public var keyPath: String
    public var message: String

    public init(origin: ConfigOrigin?, keyPath: String, message: String) {
        self.origin = origin; self.keyPath = keyPath; self.message = message
    }

    /// `experiments/x.yaml:3:3: tranad.epochz: unknown key (did you mean epochs?)`
    public var description: String {
        var s = ""
        if let o = origin { s += "\(o): " }
        if !keyPath.isEmpty { s += "\(keyPath): " }
        return s + message
    }
}

/// A config that cannot be used, with every problem found (sorted by position).
public struct ConfigError: Error, Equatable, Sendable, CustomStringConvertible {
    public var problems: [ConfigProblem]
    public init(_ problems: [ConfigProblem]) { self.problems = problems }
    public init(origin: ConfigOrigin?, keyPath: String = "", _ message: String) {
        problems = [ConfigProblem(origin: origin, keyPath: keyPath, message: message)]
    }
    public var description: String { problems.map(\.description).joined(separator: "\n") }
}

/// Reads YAML config files into `ConfigNode` trees.
public enum ConfigDocument {
    /// Parses YAML `text` (from `file`, used in origins). An empty document is an empty mapping.
    public static func parse(_ text: String, file: String) throws -> ConfigNode {
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch let e as YamlError {
            throw ConfigError(origin: nil, "\(file): YAML syntax error: " + yamlMessage(e, file: file))
        } catch {
            throw ConfigError(origin: nil, "\(file): cannot parse YAML: \(error)")
        }
        guard let root = node else { return .mapping([], .file(path: file, line: 1, column: 1)) }
        return try convert(root, file: file, path: "")
    }

    /// Reads `path` (a YAML file) and merges its `base` chain: keys in the file override its base's, mappings merge
    /// key by key, anything else (lists included) is replaced. `base` paths are relative to the file that names them.
    public static func load(path: String) throws -> ConfigNode {
        try load(path: path, chain: [])
    }

    private static func load(path: String, chain: [String]) throws -> ConfigNode {
        let canonical = URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
        if chain.contains(canonical) {
            throw ConfigError(origin: nil, "base chain loops: " + (chain + [canonical]).joined(separator: " → "))
        }
        guard chain.count < 16 else { throw ConfigError(origin: nil, "base chain deeper than 16 files at \(path)") }
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir), !isDir.boolValue else {
            throw ConfigError(origin: nil, "\(path): no such config file")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigError(origin: nil, "\(path): cannot read the file (permissions?)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigError(origin: nil, "\(path): not UTF-8 text")
        }
        let root = try parse(text, file: path)
        guard case .mapping(var entries, let origin) = root else {
            throw ConfigError(origin: root.origin, "the top level of a config must be a mapping of keys (e.g. `models: [tranad]`)")
        }
        guard let bi = entries.firstIndex(where: { $0.key == "base" }) else { return root }
        let baseEntry = entries.remove(at: bi)
        guard case .scalar(.string(let rel), _) = baseEntry.value, !rel.isEmpty else {
            throw ConfigError(origin: baseEntry.value.origin, keyPath: "base", "expected the path of a config file")
        }
        let dir = (path as NSString).deletingLastPathComponent
        let basePath = rel.hasPrefix("/") ? rel : (dir.isEmpty ? rel : (dir as NSString).appendingPathComponent(rel))
        let base: ConfigNode
        do {
            base = try load(path: basePath, chain: chain + [canonical])
        } catch let e as ConfigError {
            var problems = e.problems
            if problems.count == 1 && problems[0].origin == nil && !problems[0].message.hasPrefix("base chain") {
                problems[0] = ConfigProblem(origin: baseEntry.value.origin, keyPath: "base", message: problems[0].message)
            }
            throw ConfigError(problems)
        }
        return merge(base, over: .mapping(entries, origin))
    }

    /// `top` merged over `base`: mapping keys merge recursively, other values replace.
    public static func merge(_ base: ConfigNode, over top: ConfigNode) -> ConfigNode {
        guard case .mapping(var out, _) = base, case .mapping(let entries, let origin) = top else { return top }
        for e in entries {
            if let i = out.firstIndex(where: { $0.key == e.key }) {
                out[i] = ConfigNodeEntry(key: e.key, keyOrigin: e.keyOrigin, value: merge(out[i].value, over: e.value))
            } else {
                out.append(e)
            }
        }
        return .mapping(out, origin)
    }

    /// Applies `--set key.path=value` (value read as a YAML flow value: `0.001`, `[tranad]`, `all`).
    public static func applyOverride(_ argument: String, to root: ConfigNode) throws -> ConfigNode {
        guard let eq = argument.firstIndex(of: "=") else {
            throw ConfigError(origin: .commandLine(argument: argument), "expected KEY=VALUE, e.g. --set tranad.lr=0.001")
        }
        let keyPath = argument[..<eq].trimmingCharacters(in: .whitespaces)
        let text = String(argument[argument.index(after: eq)...])
        let parts = keyPath.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard !keyPath.isEmpty, parts.allSatisfy({ !$0.isEmpty }) else {
            throw ConfigError(origin: .commandLine(argument: argument), "'\(keyPath)' is not a dotted key path (e.g. tranad.lr)")
        }
        let origin = ConfigOrigin.commandLine(argument: argument)
        let parsed: ConfigNode
        do {
            parsed = relocate(try parse(text, file: "--set"), to: origin)
        } catch let e as ConfigError {
            throw ConfigError(origin: origin, keyPath: keyPath, e.problems.map(\.message).joined(separator: "; "))
        }
        return set(parts[...], parsed, in: root, origin: origin)
    }

    private static func set(_ path: ArraySlice<String>, _ value: ConfigNode, in node: ConfigNode, origin: ConfigOrigin) -> ConfigNode {
        guard let head = path.first else { return value }
        var entries: [ConfigNodeEntry] = []
        var mapOrigin = origin
        if case .mapping(let e, let o) = node { entries = e; mapOrigin = o }
        let child = entries.first(where: { $0.key == head })?.value ?? .mapping([], origin)
        let updated = set(path.dropFirst(), value, in: child, origin: origin)
        if let i = entries.firstIndex(where: { $0.key == head }) {
            entries[i].value = updated
        } else {
            entries.append(ConfigNodeEntry(key: head, keyOrigin: origin, value: updated))
        }
        return .mapping(entries, mapOrigin)
    }

    private static func relocate(_ node: ConfigNode, to origin: ConfigOrigin) -> ConfigNode {
        switch node {
        case .scalar(let v, _): return .scalar(v, origin)
        case .sequence(let items, _): return .sequence(items.map { relocate($0, to: origin) }, origin)
        case .mapping(let entries, _):
            return .mapping(entries.map { ConfigNodeEntry(key: $0.key, keyOrigin: origin, value: relocate($0.value, to: origin)) }, origin)
        }
    }

    // MARK: YAML → ConfigNode

    private static func origin(_ mark: Mark?, _ file: String) -> ConfigOrigin {
        .file(path: file, line: mark?.line ?? 1, column: mark?.column ?? 1)
    }

    private static func convert(_ node: Node, file: String, path: String) throws -> ConfigNode {
        switch node {
        case .scalar(let s):
            return .scalar(scalarValue(s), origin(s.mark, file))
        case .sequence(let seq):
            var items: [ConfigNode] = []
            for (i, n) in seq.enumerated() { items.append(try convert(n, file: file, path: "\(path)[\(i)]")) }
            return .sequence(items, origin(seq.mark, file))
        case .mapping(let map):
            var entries: [ConfigNodeEntry] = []
            for (k, v) in map {
                guard case .scalar(let ks) = k else {
                    throw ConfigError(origin: origin(k.mark, file), keyPath: path, "keys must be plain names")
                }
                let key = ks.string
                let keyPath = path.isEmpty ? key : path + "." + key
                if let first = entries.first(where: { $0.key == key }) {
                    throw ConfigError(origin: origin(ks.mark, file), keyPath: keyPath, "key written twice (first at \(first.keyOrigin))")
                }
                entries.append(ConfigNodeEntry(key: key, keyOrigin: origin(ks.mark, file), value: try convert(v, file: file, path: keyPath)))
            }
            return .mapping(entries, origin(map.mark, file))
        case .alias(let a):
            throw ConfigError(origin: origin(a.mark, file), keyPath: path, "YAML aliases (*name) are not supported; write the value out")
        }
    }

    /// YAML 1.2 core schema for plain scalars; quoted and block scalars are strings.
    static func scalarValue(_ s: Node.Scalar) -> ConfigValue {
        let text = s.string
        guard s.style == .plain || s.style == .any else { return .string(text) }
        switch text {
        case "", "~", "null", "Null", "NULL": return .null
        case "true", "True", "TRUE": return .bool(true)
        case "false", "False", "FALSE": return .bool(false)
        // YAML 1.2's .inf/.nan, and the spellings people type on a command line (read as numbers so that a key
        // refuses them as "not finite" rather than as text)
        case ".inf", ".Inf", ".INF", "+.inf", "inf", "+inf", "Inf", "infinity", "Infinity": return .double(.infinity)
        case "-.inf", "-.Inf", "-.INF", "-inf", "-Inf", "-infinity", "-Infinity": return .double(-.infinity)
        case ".nan", ".NaN", ".NAN", "nan", "NaN", "NAN": return .double(.nan)
        default: break
        }
        if text.range(of: #"^[-+]?[0-9]+$"#, options: .regularExpression) != nil {
            if let i = Int(text) { return .int(i) }
            return .string(text)  // beyond Int: kept as text (a UInt64 seed, or refused by the key's type)
        }
        if text.range(of: #"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$"#, options: .regularExpression) != nil,
           let d = Double(text) {
            return .double(d)
        }
        return .string(text)
    }

    private static func yamlMessage(_ e: YamlError, file: String) -> String {
        switch e {
        case let .scanner(_, problem, mark, _), let .parser(_, problem, mark, _), let .composer(_, problem, mark, _):
            return "line \(mark.line) column \(mark.column): \(problem)"
        case let .duplicatedKeysInMapping(duplicates, context):
            return "key(s) \(duplicates.joined(separator: ", ")) written twice (line \(context.mark.line))"
        default:
            return String(describing: e).components(separatedBy: "\n").first ?? "\(e)"
        }
    }
}
