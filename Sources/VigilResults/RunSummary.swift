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

/// Mean, standard deviation (sample, n − 1) and count of one metric over machines; nil fields when undefined. With
/// `bootstrap: true`, also the 95% percentile-bootstrap interval of the mean over machines (10,000 resamples of the
/// machines with replacement, seeded, so reports are reproducible).
public struct Aggregate: Codable, Equatable, Sendable {
    public var mean: Double?
    public var std: Double?
    public var n: Int
    /// [2.5%, 97.5%] bootstrap interval of the mean (nil below 2 values or when not requested).
    public var ci95: [Double]?

    /// Over the defined values of `xs` (nil and non-finite values are left out and not counted).
    public init(_ xs: [Double?], bootstrap: Bool = false) {
        let v = xs.compactMap { $0 }.filter(\.isFinite)
        n = v.count
        ci95 = nil
        guard !v.isEmpty else { mean = nil; std = nil; return }
        let m = v.reduce(0, +) / Double(v.count)
        mean = m
        std = v.count > 1 ? (v.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(v.count - 1)).squareRoot() : nil
        if bootstrap && v.count > 1 { ci95 = Aggregate.bootstrapInterval(v) }
    }

    enum CodingKeys: String, CodingKey { case mean, std, n; case ci95 = "ci95" }

    /// The 2.5th and 97.5th percentiles (numpy's linear interpolation) of the means of `resamples` resamples of `v`
    /// with replacement, drawn by SplitMix64 from a fixed seed.
    public static func bootstrapInterval(_ v: [Double], resamples: Int = 10_000, seed: UInt64 = 0x5EED_B007) -> [Double] {
        var state = seed
        func next() -> UInt64 {   // SplitMix64 (Steele, Lea & Flood 2014)
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        let n = UInt64(v.count)
        var means = [Double](repeating: 0, count: resamples)
        for b in 0..<resamples {
            var sum = 0.0
            for _ in 0..<v.count { sum += v[Int(next() % n)] }
            means[b] = sum / Double(v.count)
        }
        means.sort()
        func pct(_ p: Double) -> Double {
            let pos = Double(means.count - 1) * p
            let lo = Int(pos.rounded(.down)), hi = min(lo + 1, means.count - 1)
            return means[lo] + (means[hi] - means[lo]) * (pos - Double(lo))
        }
        return [pct(0.025), pct(0.975)]
    }
}

/// Machines where model `a` beats, ties or loses to model `b` on `metric`. Each machine's value is the mean over
/// seeds with the interval mean ± one standard deviation over seeds (a point for a single run); overlapping
/// intervals are a tie, otherwise the higher mean wins.
public struct WinTieLoss: Codable, Equatable, Sendable {
    public var metric: String
    public var a: String
    public var b: String
    public var win: Int
    public var tie: Int
    public var loss: Int

    public init(metric: String, a: String, b: String, win: Int, tie: Int, loss: Int) {
        self.metric = metric; self.a = a; self.b = b; self.win = win; self.tie = tie; self.loss = loss
    }
}

/// The threshold-sensitivity curves averaged over machines (first seed of each model).
public struct SensitivitySummary: Codable, Equatable, Sendable {
    public struct Point: Codable, Equatable, Sendable {
        public var value: Double
        /// Means over the machines where the calibration succeeded at this value, and how many those were.
        public var pwF1: Double?
        public var alarmRate: Double?
        public var n: Int
        enum CodingKeys: String, CodingKey { case value, n; case pwF1 = "pw_f1", alarmRate = "alarm_rate" }
    }
    public var potLevel: [Point]
    public var potQ: [Point]
    public var percentile: [Point]
    enum CodingKeys: String, CodingKey { case percentile; case potLevel = "pot_level", potQ = "pot_q" }

    init(_ curves: [ThresholdSensitivity]) {
        func mean(_ pick: (ThresholdSensitivity) -> [ThresholdSensitivity.Point]) -> [Point] {
            guard let first = curves.first else { return [] }
            return pick(first).indices.map { i in
                let pts = curves.compactMap { c -> ThresholdSensitivity.Point? in let p = pick(c); return i < p.count ? p[i] : nil }
                let ok = pts.filter { $0.pwF1 != nil }
                return Point(value: pick(first)[i].value, pwF1: Aggregate(ok.map(\.pwF1)).mean,
                             alarmRate: Aggregate(ok.map(\.alarmRate)).mean, n: ok.count)
            }
        }
        potLevel = mean(\.potLevel)
        potQ = mean(\.potQ)
        percentile = mean(\.percentile)
    }
}

/// `summary.json`: per machine and over machines for every model, with the run's provenance.
public struct RunSummary: Codable, Equatable, Sendable {
    /// One machine's row: its flat metrics per model and its provenance facts.
    public struct MachineRow: Codable, Equatable, Sendable {
        public var machine: String
        /// Flat metrics at the exported threshold, by model then key (the mean over seeds when a model was repeated).
        public var models: [String: [String: Double?]]
        /// Standard deviation over seeds, by model then key (absent for a single run).
        public var seedStd: [String: [String: Double?]]
        /// ORACLE bounds by model (label-tuned; kept apart).
        public var oracle: [String: OracleBound]
        public var failures: [String: String]
        public var seconds: Double?
        public var peakRSSBytes: Int?
        public var stages: [StageTiming]
        public var inputSHA256: [String: String]

        enum CodingKeys: String, CodingKey {
            case machine, models, oracle, failures, seconds, stages
            case seedStd = "seed_std", peakRSSBytes = "peak_rss_bytes", inputSHA256 = "input_sha256"
        }
    }

    public var format = "vigil-run-summary"
    public var version = 1
    public var configSHA256: String
    public var config: JSONValue
    public var seed: String
    public var models: [String]
    /// Runs of each stochastic model per machine.
    public var seeds: Int
    public var machines: [MachineRow]
    /// Mean ± std over machines and the bootstrap 95% interval, by model then flat key: a PER-MACHINE MEAN (every
    /// machine weighs the same; a machine's value is its mean over seeds).
    public var overMachines: [String: [String: Aggregate]]
    /// POOLED over machines, by model: point-wise precision, recall, F1 and alarm rate from the summed confusion counts
    /// of every machine (micro average; long machines weigh more), and ROC-AUC, PR-AUC and VUS-PR of all machines'
    /// test scores concatenated (first seed). Filled by the caller that can read the stored scores.
    public var pooled: [String: [String: Double?]]
    /// Per-machine win/tie/loss of every ordered pair of models on VUS-PR and point-wise F1.
    public var winTieLoss: [WinTieLoss]
    /// Point-wise F1 and alarm rate against the threshold settings, averaged over machines, by model.
    public var sensitivity: [String: SensitivitySummary]
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
        case format, version, config, seed, seeds, models, machines, incomplete, environment, created, pooled, sensitivity
        case configSHA256 = "config_sha256", overMachines = "over_machines", oracleOverMachines = "oracle_over_machines"
        case winTieLoss = "win_tie_loss"
        case stageSeconds = "stage_seconds", wallSeconds = "wall_seconds", peakRSSBytes = "peak_rss_bytes"
        case vigilVersion = "vigil_version"
    }

    /// Builds the summary from the machines' metrics and provenance (provenance may be missing for a machine).
    public init(manifest: RunManifest, seed: String, seeds: Int = 1, models: [String], metrics: [MachineMetrics],
                provenance: [String: MachineProvenance], pooled: [String: [String: Double?]] = [:],
                incomplete: [String: String], environment: RunEnvironment?, wallSeconds: Double?, created: String) {
        self.seeds = seeds
        self.pooled = pooled
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
            rows.append(MachineRow(machine: m.machine, models: m.models.mapValues(\.seedMean), seedStd: m.models.mapValues(\.seedStd),
                                   oracle: m.models.compactMapValues(\.oracle),
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
            for k in keys { agg[k] = Aggregate(rows.compactMap { $0.models[model] }.map { $0[k] ?? nil }, bootstrap: true) }
            over[model] = agg
            let o = rows.compactMap { $0.oracle[model] }
            oracle[model] = ["pw_f1": Aggregate(o.map(\.pwF1)), "pa_f1": Aggregate(o.map(\.paF1))]
        }
        overMachines = over
        oracleOverMachines = oracle
        var wtl: [WinTieLoss] = []
        for metric in ["vus_pr", "pw_f1"] {
            for a in models {
                for b in models where b != a {
                    var w = 0, t = 0, l = 0
                    for r in rows {
                        guard let ma = r.models[a]?[metric] ?? nil, let mb = r.models[b]?[metric] ?? nil else { continue }
                        let sa = (r.seedStd[a]?[metric] ?? nil) ?? 0, sb = (r.seedStd[b]?[metric] ?? nil) ?? 0
                        if ma - sa <= mb + sb && mb - sb <= ma + sa { t += 1 } else if ma > mb { w += 1 } else { l += 1 }
                    }
                    wtl.append(WinTieLoss(metric: metric, a: a, b: b, win: w, tie: t, loss: l))
                }
            }
        }
        winTieLoss = wtl
        var sens: [String: SensitivitySummary] = [:]
        for model in models {
            let curves = metrics.compactMap { $0.models[model]?.sensitivity }
            if !curves.isEmpty { sens[model] = SensitivitySummary(curves) }
        }
        sensitivity = sens
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
