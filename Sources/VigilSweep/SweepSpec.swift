// A sweep file: a run config (its `base` and any run key) plus a search space over config keys by dotted path.
//
//   base: ../smd-default.yaml          # a run config, relative to this file
//   machines: [machine-1-2, machine-2-1]   # shorthand for data.machines; any other run key may be set too
//   models: [tranad]
//   grid:                              # every combination, keys in the order written
//     tranad.epochs: [5, 10]
//     tranad.lr: [0.0001, 0.001]
//   random:                            # n seeded samples, in addition to (or instead of) the grid
//     n: 8
//     seed: 0
//     space:
//       tranad.dropout: {uniform: [0.0, 0.3]}
//       calibration.pot.level: {log_uniform: [0.98, 0.99999]}
//   sweep:
//     validation: 0.2                  # validation.fraction of every trial (selection needs a validation block)
//     selection: synthetic_vus_pr      # validation.selection
//     scores_from: runs/base           # optional: a run directory whose stored scores trials re-evaluate when their
//                                      # config computes the same scores (only evaluation keys differ)
//
// With both `grid` and `random`, the points are the grid points followed by the random points (random points keep
// the base values of the grid keys). Points with the same resolved config are run once.
import Foundation
import VigilConfig
import VigilRandom

/// A distribution of the random search.
public enum SweepDistribution: Equatable, Sendable {
    /// Uniform on [a, b].
    case uniform(Double, Double)
    /// exp(uniform(ln a, ln b)), a, b > 0.
    case logUniform(Double, Double)
    /// An integer uniform on {a, …, b}.
    case intUniform(Int, Int)
    /// One of these values, uniformly.
    case choice([ConfigValue])

    func sample(_ rng: inout Xoshiro256) -> ConfigValue {
        switch self {
        case let .uniform(a, b): return .double(a + (b - a) * rng.nextUnitDouble())
        case let .logUniform(a, b): return .double(Foundation.exp(Foundation.log(a) + (Foundation.log(b) - Foundation.log(a)) * rng.nextUnitDouble()))
        case let .intUniform(a, b): return .int(a + rng.nextInt(below: b - a + 1))
        case let .choice(values): return values[rng.nextInt(below: values.count)]
        }
    }
}

/// One point of the search: a resolved run config and the values of the swept keys.
public struct SweepPoint: Sendable {
    public var config: ExperimentConfig
    /// Swept key → value, in the order of `SweepSpec.sweptKeys`.
    public var swept: [String: ConfigValue]
}

/// A parsed sweep file.
public struct SweepSpec: Sendable {
    /// The sweep file.
    public var source: String
    /// The run config every point starts from (sweep settings applied).
    public var base: ResolvedConfig
    public var grid: [(key: String, values: [ConfigValue])]
    public var randomCount: Int
    public var randomSeed: UInt64
    public var space: [(key: String, distribution: SweepDistribution)]
    /// `sweep.validation`: the validation fraction of every trial.
    public var validationFraction: Double
    public var selection: ValidationSelection
    /// `sweep.scores_from`: a run directory whose stored scores are re-evaluated where a trial computes the same scores.
    public var scoresFrom: String?

    /// Swept keys: grid keys, then random keys (no repeats).
    public var sweptKeys: [String] {
        var keys = grid.map(\.key)
        for (k, _) in space where !keys.contains(k) { keys.append(k) }
        return keys
    }

    /// Reads and checks `path`; `overrides` are `--set` arguments applied to the base run config.
    public static func load(path: String, overrides: [String] = [], schema: ConfigSchema = .experiment) throws -> SweepSpec {
        var root = try ConfigDocument.load(path: path)
        guard case .mapping(var entries, let origin) = root else {
            throw ConfigError(origin: root.origin, "the top level of a sweep file must be a mapping (base, grid, random, sweep, run keys)")
        }
        func take(_ key: String) -> ConfigNodeEntry? {
            guard let i = entries.firstIndex(where: { $0.key == key }) else { return nil }
            return entries.remove(at: i)
        }
        let gridEntry = take("grid"), randomEntry = take("random"), sweepEntry = take("sweep")
        root = .mapping(entries, origin)
        if let m = take("machines") {   // shorthand for data.machines
            root = ConfigDocument.merge(.mapping(entries, origin), over: .mapping([ConfigNodeEntry(
                key: "data", keyOrigin: m.keyOrigin,
                value: .mapping([ConfigNodeEntry(key: "machines", keyOrigin: m.keyOrigin, value: m.value)], m.keyOrigin))], origin))
        }
        var problems: [ConfigProblem] = []

        // sweep settings
        var validation = 0.2
        var selection = ValidationSelection.syntheticVUSPR
        var scoresFrom: String? = nil
        if let s = sweepEntry {
            for e in try mapping(s.value, path: "sweep") {
                switch e.key {
                case "validation":
                    if let d = e.value.value.number, d.isFinite, d > 0, d <= 0.5 { validation = d } else {
                        problems.append(ConfigProblem(origin: e.value.origin, keyPath: "sweep.validation",
                                                      message: "expected a number in (0.0, 0.5], got \(e.value.value) (selection needs a validation block)"))
                    }
                case "selection":
                    if let v = e.value.value.string, let sel = ValidationSelection(rawValue: v) { selection = sel } else {
                        problems.append(ConfigProblem(origin: e.value.origin, keyPath: "sweep.selection",
                                                      message: "expected one of: \(ValidationSelection.allCases.map(\.rawValue).joined(separator: ", ")), got \(e.value.value)"))
                    }
                case "scores_from":
                    if let p = e.value.value.string, !p.isEmpty { scoresFrom = p } else {
                        problems.append(ConfigProblem(origin: e.value.origin, keyPath: "sweep.scores_from",
                                                      message: "expected the path of a run directory, got \(e.value.value)"))
                    }
                default:
                    problems.append(ConfigProblem(origin: e.keyOrigin, keyPath: "sweep.\(e.key)",
                                                  message: "unknown key" + (closestMatch(e.key, in: ["validation", "selection", "scores_from"]).map { " (did you mean \($0)?)" } ?? " (valid here: validation, selection, scores_from)")))
                }
            }
        }
        for o in overrides { root = try ConfigDocument.applyOverride(o, to: root) }
        let settingsOrigin = ConfigOrigin.file(path: path, line: sweepEntry.map { if case let .file(_, l, _) = $0.keyOrigin { return l }; return 1 } ?? 1, column: 1)
        var base: ResolvedConfig
        do {
            base = try ResolvedConfig(root, schema: schema, sourceFile: path)
            base = try base.setting("validation.fraction", .double(validation), origin: settingsOrigin, schema: schema)
            base = try base.setting("validation.selection", .string(selection.rawValue), origin: settingsOrigin, schema: schema)
        } catch let e as ConfigError {
            problems += e.problems
            throw ConfigError(ResolvedConfig.sorted(problems))
        }

        func sweptKey(_ e: ConfigNodeEntry, section: String) -> ConfigKey? {
            let full = section + "." + e.key
            guard let key = schema.key(e.key) else {
                let hint = closestMatch(e.key, in: schema.keys.map(\.path)).map { " (did you mean \($0)?)" } ?? ""
                problems.append(ConfigProblem(origin: e.keyOrigin, keyPath: full, message: "not a config key" + hint))
                return nil
            }
            guard key.identity else {
                problems.append(ConfigProblem(origin: e.keyOrigin, keyPath: full,
                                              message: "\(e.key) says where data comes from, not what is computed; it cannot be swept (machines are the sweep's other axis)"))
                return nil
            }
            return key
        }
        func checked(_ key: ConfigKey, _ v: ConfigNode, path: String) -> ConfigValue? {
            switch key.type.check(v.value) {
            case .success(let x): return x
            case .failure(let err): problems.append(ConfigProblem(origin: v.origin, keyPath: path, message: err.message)); return nil
            }
        }

        // grid
        var grid: [(String, [ConfigValue])] = []
        if let g = gridEntry {
            for e in try mapping(g.value, path: "grid") {
                guard let key = sweptKey(e, section: "grid") else { continue }
                guard case .sequence(let items, _) = e.value, !items.isEmpty else {
                    problems.append(ConfigProblem(origin: e.value.origin, keyPath: "grid.\(e.key)", message: "expected a non-empty list of values"))
                    continue
                }
                var values: [ConfigValue] = []
                for (i, item) in items.enumerated() {
                    if let v = checked(key, item, path: "grid.\(e.key)[\(i)]") {
                        if values.contains(v) {
                            problems.append(ConfigProblem(origin: item.origin, keyPath: "grid.\(e.key)", message: "\(v) is listed twice"))
                        } else { values.append(v) }
                    }
                }
                grid.append((e.key, values))
            }
        }

        // random
        var count = 0
        var seed: UInt64 = 0
        var space: [(String, SweepDistribution)] = []
        if let r = randomEntry {
            for e in try mapping(r.value, path: "random") {
                switch e.key {
                case "n":
                    if case .int(let n) = e.value.value, (1...100_000).contains(n) { count = n } else {
                        problems.append(ConfigProblem(origin: e.value.origin, keyPath: "random.n", message: "expected an integer 1…100000, got \(e.value.value)"))
                    }
                case "seed":
                    if case .int(let s) = e.value.value, s >= 0 { seed = UInt64(s) } else {
                        problems.append(ConfigProblem(origin: e.value.origin, keyPath: "random.seed", message: "expected an integer ≥ 0, got \(e.value.value)"))
                    }
                case "space":
                    for d in try mapping(e.value, path: "random.space") {
                        guard let key = sweptKey(d, section: "random.space") else { continue }
                        if let dist = distribution(d, key: key, problems: &problems) { space.append((d.key, dist)) }
                    }
                default:
                    problems.append(ConfigProblem(origin: e.keyOrigin, keyPath: "random.\(e.key)",
                                                  message: "unknown key" + (closestMatch(e.key, in: ["n", "seed", "space"]).map { " (did you mean \($0)?)" } ?? " (valid here: n, seed, space)")))
                }
            }
            if count == 0 && !problems.contains(where: { $0.keyPath == "random.n" }) {
                problems.append(ConfigProblem(origin: r.keyOrigin, keyPath: "random.n", message: "missing: how many random points to draw"))
            }
            if space.isEmpty && !problems.contains(where: { $0.keyPath.hasPrefix("random.space") }) {
                problems.append(ConfigProblem(origin: r.keyOrigin, keyPath: "random.space", message: "missing: the keys to draw and their distributions"))
            }
        }
        for (k, _) in space where grid.contains(where: { $0.0 == k }) {
            problems.append(ConfigProblem(origin: randomEntry?.keyOrigin, keyPath: "random.space.\(k)", message: "also swept by the grid; sweep a key in one of them"))
        }
        if gridEntry == nil && randomEntry == nil {
            problems.append(ConfigProblem(origin: origin, keyPath: "", message: "a sweep needs a `grid` or a `random` section"))
        }
        if !problems.isEmpty { throw ConfigError(ResolvedConfig.sorted(problems)) }
        return SweepSpec(source: path, base: base, grid: grid, randomCount: count, randomSeed: seed, space: space,
                         validationFraction: validation, selection: selection, scoresFrom: scoresFrom)
    }

    /// The points: grid product (first key varies slowest), then the random samples; duplicates removed. Each point's
    /// config is checked (types, ranges, cross-key rules) before anything runs.
    public func points(schema: ConfigSchema = .experiment) throws -> [SweepPoint] {
        var assignments: [[(String, ConfigValue)]] = []
        if !grid.isEmpty {
            var acc: [[(String, ConfigValue)]] = [[]]
            for (k, values) in grid { acc = acc.flatMap { prefix in values.map { prefix + [(k, $0)] } } }
            assignments += acc
        }
        if randomCount > 0 {
            var rng = Xoshiro256(seed: randomSeed)
            for _ in 0..<randomCount { assignments.append(space.map { ($0.key, $0.distribution.sample(&rng)) }) }
        }
        var out: [SweepPoint] = []
        var seen: Set<String> = []
        var problems: [ConfigProblem] = []
        for a in assignments {
            var r = base
            do {
                for (k, v) in a { r = try r.setting(k, v, origin: .file(path: source, line: 1, column: 1), schema: schema) }
                let c = try ExperimentConfig(r)
                guard seen.insert(c.sha256).inserted else { continue }
                out.append(SweepPoint(config: c, swept: Dictionary(uniqueKeysWithValues: a)))
            } catch let e as ConfigError {
                let where_ = a.map { "\($0.0)=\($0.1)" }.joined(separator: ", ")
                problems += e.problems.map { ConfigProblem(origin: nil, keyPath: $0.keyPath, message: "at the point \(where_): \($0.message)") }
            }
        }
        if !problems.isEmpty { throw ConfigError(problems) }
        return out
    }

    private static func mapping(_ node: ConfigNode, path: String) throws -> [ConfigNodeEntry] {
        guard case .mapping(let entries, _) = node else {
            throw ConfigError(origin: node.origin, keyPath: path, "expected a mapping")
        }
        return entries
    }

    private static func distribution(_ e: ConfigNodeEntry, key: ConfigKey, problems: inout [ConfigProblem]) -> SweepDistribution? {
        let path = "random.space.\(e.key)"
        guard case .mapping(let m, _) = e.value, m.count == 1, let d = m.first else {
            problems.append(ConfigProblem(origin: e.value.origin, keyPath: path,
                                          message: "expected one of {uniform: [a, b]}, {log_uniform: [a, b]}, {int_uniform: [a, b]}, {choice: [values]}"))
            return nil
        }
        func pair() -> (ConfigValue, ConfigValue)? {
            guard case .list(let l) = d.value.value, l.count == 2 else {
                problems.append(ConfigProblem(origin: d.value.origin, keyPath: path, message: "\(d.key) takes a list of two bounds [a, b]"))
                return nil
            }
            return (l[0], l[1])
        }
        func inRange(_ v: ConfigValue) -> Bool {
            if case .success = key.type.check(v) { return true }
            problems.append(ConfigProblem(origin: d.value.origin, keyPath: path, message: "bound \(v) is outside the key's values (\(key.type.summary))"))
            return false
        }
        switch d.key {
        case "uniform", "log_uniform":
            guard case .number = key.type else {
                problems.append(ConfigProblem(origin: d.keyOrigin, keyPath: path, message: "\(d.key) draws numbers but \(e.key) takes \(key.type.summary)" + (key.type.summary.hasPrefix("integer") ? " (use int_uniform)" : " (use choice)")))
                return nil
            }
            guard let (a, b) = pair(), let x = a.number, let y = b.number, x < y else {
                if !problems.contains(where: { $0.keyPath == path }) {
                    problems.append(ConfigProblem(origin: d.value.origin, keyPath: path, message: "\(d.key) needs numbers a < b"))
                }
                return nil
            }
            if d.key == "log_uniform" && x <= 0 {
                problems.append(ConfigProblem(origin: d.value.origin, keyPath: path, message: "log_uniform needs a > 0"))
                return nil
            }
            guard inRange(.double(x)), inRange(.double(y)) else { return nil }
            return d.key == "uniform" ? .uniform(x, y) : .logUniform(x, y)
        case "int_uniform":
            guard case .int = key.type else {
                problems.append(ConfigProblem(origin: d.keyOrigin, keyPath: path, message: "int_uniform draws integers but \(e.key) takes \(key.type.summary)"))
                return nil
            }
            guard let (a, b) = pair(), case .int(let x) = a, case .int(let y) = b, x <= y else {
                if !problems.contains(where: { $0.keyPath == path }) {
                    problems.append(ConfigProblem(origin: d.value.origin, keyPath: path, message: "int_uniform needs integers a ≤ b"))
                }
                return nil
            }
            guard inRange(.int(x)), inRange(.int(y)) else { return nil }
            return .intUniform(x, y)
        case "choice":
            guard case .sequence(let items, _) = d.value, !items.isEmpty else {
                problems.append(ConfigProblem(origin: d.value.origin, keyPath: path, message: "choice takes a non-empty list of values"))
                return nil
            }
            var values: [ConfigValue] = []
            for item in items {
                switch key.type.check(item.value) {
                case .success(let v): values.append(v)
                case .failure(let err): problems.append(ConfigProblem(origin: item.origin, keyPath: path, message: err.message))
                }
            }
            return values.count == items.count ? .choice(values) : nil
        default:
            problems.append(ConfigProblem(origin: d.keyOrigin, keyPath: path,
                                          message: "unknown distribution '\(d.key)' (uniform, log_uniform, int_uniform, choice)"))
            return nil
        }
    }
}
