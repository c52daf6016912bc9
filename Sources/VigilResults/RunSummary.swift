// `run.json` (what a run directory is for) and `summary.json` (its results over machines).
import Foundation

/// `run.json`: written first into a run directory; a re-run into the same directory must have the same
/// `config_sha256`, so results of different experiments never mix.
public struct RunManifest: Codable, Equatable, Sendable {
    public var format = "vigil-run"
    public var version = 1
    public var configSHA256: String
    public var config: JSONValue
    public var created: String
    public var vigilVersion: String
    public var command: String

    public init(configSHA256: String, config: JSONValue, created: String, vigilVersion: String, command: String) {
        self.configSHA256 = configSHA256; self.config = config; self.created = created; self.vigilVersion = vigilVersion
        self.command = command
    }

    enum CodingKeys: String, CodingKey {
        case format, version, config, created, command
        case configSHA256 = "config_sha256", vigilVersion = "vigil_version"
    }
}

/// Mean, standard deviation (sample, n − 1) and count of one metric over machines; nil fields when undefined.
public struct Aggregate: Codable, Equatable, Sendable {
    public var mean: Double?
    public var std: Double?
    public var n: Int

    /// Over the defined values of `xs` (nil and non-finite values are left out and not counted).
    public init(_ xs: [Double?]) {
        let v = xs.compactMap { $0 }.filter(\.isFinite)
        n = v.count
        guard !v.isEmpty else { mean = nil; std = nil; return }
        let m = v.reduce(0, +) / Double(v.count)
        mean = m
        std = v.count > 1 ? (v.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(v.count - 1)).squareRoot() : nil
    }
}

/// `summary.json`: per machine and over machines for every model, with the run's provenance.
public struct RunSummary: Codable, Equatable, Sendable {
    /// One machine's row: its flat metrics per model and its provenance facts.
    public struct MachineRow: Codable, Equatable, Sendable {
        public var machine: String
        /// Flat metrics at the exported threshold, by model then key.
        public var models: [String: [String: Double?]]
        /// ORACLE bounds by model (label-tuned; kept apart).
        public var oracle: [String: OracleBound]
        public var failures: [String: String]
        public var seconds: Double?
        public var peakRSSBytes: Int?
        public var stages: [StageTiming]
        public var inputSHA256: [String: String]

        enum CodingKeys: String, CodingKey {
            case machine, models, oracle, failures, seconds, stages
            case peakRSSBytes = "peak_rss_bytes", inputSHA256 = "input_sha256"
        }
    }

    public var format = "vigil-run-summary"
    public var version = 1
    public var configSHA256: String
    public var config: JSONValue
    public var seed: String
    public var models: [String]
    public var machines: [MachineRow]
    /// Mean ± std over machines, by model then flat key (a per-machine mean: every machine weighs the same).
    public var overMachines: [String: [String: Aggregate]]
    /// Mean ± std of the ORACLE bounds over machines, by model (`pw_f1`, `pa_f1`).
    public var oracleOverMachines: [String: [String: Aggregate]]
    /// Requested machines that did not complete (failed or unavailable), with the reason.
    public var incomplete: [String: String]
    public var environment: RunEnvironment?
    /// Wall seconds per stage (`data`, `fit tranad`, …) summed over machines, and the whole run's wall time.
    public var stageSeconds: [String: Double]
    public var wallSeconds: Double?
    /// Peak RSS of the largest unit.
    public var peakRSSBytes: Int?
    public var vigilVersion: String
    public var created: String

    enum CodingKeys: String, CodingKey {
        case format, version, config, seed, models, machines, incomplete, environment, created
        case configSHA256 = "config_sha256", overMachines = "over_machines", oracleOverMachines = "oracle_over_machines"
        case stageSeconds = "stage_seconds", wallSeconds = "wall_seconds", peakRSSBytes = "peak_rss_bytes"
        case vigilVersion = "vigil_version"
    }

    /// Builds the summary from the machines' metrics and provenance (provenance may be missing for a machine).
    public init(manifest: RunManifest, seed: String, models: [String], metrics: [MachineMetrics], provenance: [String: MachineProvenance],
                incomplete: [String: String], environment: RunEnvironment?, wallSeconds: Double?, created: String) {
        configSHA256 = manifest.configSHA256
        config = manifest.config
        self.seed = seed
        self.models = models
        vigilVersion = manifest.vigilVersion
        self.created = created
        self.incomplete = incomplete
        self.environment = environment
        self.wallSeconds = wallSeconds
        var rows: [MachineRow] = []
        var stageSeconds: [String: Double] = [:]
        for m in metrics.sorted(by: { naturalOrder($0.machine, $1.machine) }) {
            let p = provenance[m.machine]
            for s in p?.stages ?? [] {
                stageSeconds[s.stage, default: 0] += s.seconds
            }
            rows.append(MachineRow(machine: m.machine, models: m.models.mapValues(\.flat), oracle: m.models.compactMapValues(\.oracle),
                                   failures: m.failures, seconds: p?.totalSeconds, peakRSSBytes: p?.peakRSSBytes,
                                   stages: p?.stages ?? [], inputSHA256: p?.inputSHA256 ?? m.dataset.sourceSHA256))
        }
        machines = rows
        self.stageSeconds = stageSeconds
        peakRSSBytes = rows.compactMap(\.peakRSSBytes).max()
        var over: [String: [String: Aggregate]] = [:]
        var oracle: [String: [String: Aggregate]] = [:]
        for model in models {
            var keys = ModelMetrics.flatKeys
            for r in rows { for k in (r.models[model] ?? [:]).keys.sorted() where !keys.contains(k) { keys.append(k) } }
            var agg: [String: Aggregate] = [:]
            for k in keys { agg[k] = Aggregate(rows.compactMap { $0.models[model] }.map { $0[k] ?? nil }) }
            over[model] = agg
            let o = rows.compactMap { $0.oracle[model] }
            oracle[model] = ["pw_f1": Aggregate(o.map(\.pwF1)), "pa_f1": Aggregate(o.map(\.paF1))]
        }
        overMachines = over
        oracleOverMachines = oracle
    }
}

/// Natural order of names with numbers: machine-3-2 before machine-3-10 (digit runs compare as numbers).
public func naturalOrder(_ a: String, _ b: String) -> Bool {
    func parts(_ s: String) -> [(String, Int?)] {
        var out: [(String, Int?)] = []
        var cur = "", digits = false
        for ch in s {
            let d = ch.isASCII && ch.isNumber
            if !cur.isEmpty && d != digits { out.append((cur, digits ? Int(cur) : nil)); cur = "" }
            cur.append(ch); digits = d
        }
        if !cur.isEmpty { out.append((cur, digits ? Int(cur) : nil)) }
        return out
    }
    let x = parts(a), y = parts(b)
    for (p, q) in zip(x, y) {
        if let i = p.1, let j = q.1 { if i != j { return i < j } } else if p.0 != q.0 { return p.0 < q.0 }
    }
    return x.count != y.count ? x.count < y.count : a < b
}
