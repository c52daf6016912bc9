// `metrics.json` of one machine: a pure function of its stored scores, its labels and the run config, so two
// identical runs — and `vigil evaluate RUN-DIR` on an untouched run — write it byte for byte the same.
// Timings, hosts and memory go to `provenance.json` instead.
import Foundation
import VigilMetrics
import VigilThresholds
import VigilTransforms

/// Facts of the evaluated data (the source hashes say exactly which files were read).
public struct DatasetFacts: Codable, Equatable, Sendable {
    public var name: String
    public var trainRows: Int
    public var testRows: Int
    public var dimensions: Int
    public var anomalousTestPoints: Int
    public var anomalySegments: Int
    public var sourceSHA256: [String: String]

    public init(name: String, trainRows: Int, testRows: Int, dimensions: Int, anomalousTestPoints: Int, anomalySegments: Int,
                sourceSHA256: [String: String]) {
        self.name = name; self.trainRows = trainRows; self.testRows = testRows; self.dimensions = dimensions
        self.anomalousTestPoints = anomalousTestPoints; self.anomalySegments = anomalySegments; self.sourceSHA256 = sourceSHA256
    }

    enum CodingKeys: String, CodingKey {
        case name, dimensions
        case trainRows = "train_rows", testRows = "test_rows", anomalousTestPoints = "anomalous_test_points"
        case anomalySegments = "anomaly_segments", sourceSHA256 = "source_sha256"
    }
}

/// The label-tuned upper bound: thresholds chosen on TEST LABELS. Never a result; kept apart from every other number.
public struct OracleBound: Codable, Equatable, Sendable {
    /// Threshold maximising point-wise F1 on the test labels.
    public var threshold: Double
    /// Best point-wise F1 (at `threshold`).
    public var pwF1: Double
    /// Threshold maximising point-adjusted F1 on the test labels.
    public var paThreshold: Double
    /// Best point-adjusted F1 (at `paThreshold`).
    public var paF1: Double
    /// Always true: these numbers read the test labels.
    public var readsTestLabels = true

    public init(threshold: Double, pwF1: Double, paThreshold: Double, paF1: Double) {
        self.threshold = threshold; self.pwF1 = pwF1; self.paThreshold = paThreshold; self.paF1 = paF1
    }

    enum CodingKeys: String, CodingKey {
        case threshold
        case pwF1 = "pw_f1", paThreshold = "pa_threshold", paF1 = "pa_f1", readsTestLabels = "reads_test_labels"
    }
}

/// A model's scores on the validation block (held-out training rows): how configs are compared without test labels.
/// Reads training data only (the synthetic anomalies are injected into training rows).
public struct ValidationMetrics: Codable, Equatable, Sendable {
    /// Validation rows, and how many carry an injected anomaly.
    public var rows: Int
    public var injectedRows: Int
    public var injectedAnomalies: Int
    /// Mean 1-D score of the clean validation block (lower: the model finds held-out normal data normal).
    public var loss: Double
    /// Ranking of the injected anomalies by the scores of the injected block.
    public var rocAUC: Double?
    public var prAUC: Double?
    public var vusPR: Double?
    /// `validation.selection` and its value (higher is better; minus the loss for `validation_loss`).
    public var selection: String
    public var selectionScore: Double?

    public init(rows: Int, injectedRows: Int, injectedAnomalies: Int, loss: Double, rocAUC: Double?, prAUC: Double?,
                vusPR: Double?, selection: String, selectionScore: Double?) {
        self.rows = rows; self.injectedRows = injectedRows; self.injectedAnomalies = injectedAnomalies; self.loss = loss
        self.rocAUC = rocAUC; self.prAUC = prAUC; self.vusPR = vusPR; self.selection = selection; self.selectionScore = selectionScore
    }

    enum CodingKeys: String, CodingKey {
        case rows, loss, selection
        case injectedRows = "injected_rows", injectedAnomalies = "injected_anomalies", rocAUC = "roc_auc", prAUC = "pr_auc"
        case vusPR = "vus_pr", selectionScore = "selection_score"
    }
}

/// One seeded repeat of a stochastic model (`seeds` > 1): its flat metrics at its own exported threshold and its
/// ORACLE bound.
public struct SeedRun: Codable, Equatable, Sendable {
    /// The seed, as decimal text (it may exceed what a JSON number holds exactly).
    public var seed: String
    public var flat: [String: Double?]
    public var oracle: OracleBound?

    public init(seed: UInt64, flat: [String: Double?], oracle: OracleBound?) {
        self.seed = String(seed); self.flat = flat; self.oracle = oracle
    }
}

/// How point-wise F1 and the alarm rate move with the threshold settings (the deployable calibrations, each
/// parameter varied alone around the run's settings): how fragile the chosen threshold is. Computed from stored
/// scores; the test labels are read only to compute F1, nothing is chosen from them.
public struct ThresholdSensitivity: Codable, Equatable, Sendable {
    public struct Point: Codable, Equatable, Sendable {
        /// The parameter's value (POT level, POT q, or percentile).
        public var value: Double
        /// nil when the calibration failed at this value (e.g. POT found no tail).
        public var threshold: Double?
        public var pwF1: Double?
        public var alarmRate: Double?
        public init(value: Double, threshold: Double?, pwF1: Double?, alarmRate: Double?) {
            self.value = value; self.threshold = threshold; self.pwF1 = pwF1; self.alarmRate = alarmRate
        }
        enum CodingKeys: String, CodingKey { case value, threshold; case pwF1 = "pw_f1", alarmRate = "alarm_rate" }
    }
    /// POT on training scores at these initial levels (q and scale as configured).
    public var potLevel: [Point]
    /// POT at these risks q (level and scale as configured).
    public var potQ: [Point]
    /// Percentiles of the training scores.
    public var percentile: [Point]

    public init(potLevel: [Point], potQ: [Point], percentile: [Point]) {
        self.potLevel = potLevel; self.potQ = potQ; self.percentile = percentile
    }
    enum CodingKeys: String, CodingKey { case percentile; case potLevel = "pot_level", potQ = "pot_q" }
}

/// One model's results on one machine.
///
/// Encoded flat at the exported (deployable) threshold — `threshold`, `threshold_method`, `pw_precision`, …,
/// `ndcg150` (see `ModelMetrics.flatKeys`) — then `calibrations` (full report of every non-oracle calibration),
/// `calibration_failures`, `pot_fit` (the deployable POT fit), and `oracle` (label-tuned, separate).
public struct ModelMetrics: Codable, Equatable, Sendable {
    /// Name of the exported calibration (`pot_train`, `percentile_train_99.0`).
    public var thresholdMethod: String
    /// The flat metrics at the exported threshold, by key (nil: undefined, e.g. ROC-AUC with one class).
    public var flat: [String: Double?]
    public var calibrations: [String: MetricsReport]
    public var calibrationFailures: [String: String]
    /// The deployable POT fit on training scores (initial threshold, γ, σ, peaks), when it succeeded.
    public var potFit: POTCalibration?
    public var oracle: OracleBound?
    /// Scores on the validation block (when the config holds one out).
    public var validation: ValidationMetrics?
    /// Every seeded repeat (when `seeds` > 1 and the model is stochastic); the flat block above is the first.
    public var seedRuns: [SeedRun]?
    /// F1 and alarm rate against the threshold settings.
    public var sensitivity: ThresholdSensitivity?
    /// The fitted score transform every threshold and metric above was computed on (nil: the model's own scores).
    public var transform: TransformState?
    /// Why the exported threshold was not exported (e.g. its transform reads past scores); nil when exported.
    public var exportRefused: String?

    /// Flat keys, in the order reports show them.
    public static let flatKeys = [
        "threshold", "alarm_rate", "pw_precision", "pw_recall", "pw_f1", "vus_pr", "vus_roc", "roc_auc", "pr_auc",
        "range_precision", "range_recall", "range_f1", "affiliation_precision", "affiliation_recall", "affiliation_f1",
        "event_f1", "pa_precision", "pa_recall", "pa_f1", "pak_auc", "hit100", "hit150", "ndcg100", "ndcg150",
    ]

    /// The flat block of `report` (the exported calibration's metrics).
    public static func flatten(_ r: MetricsReport) -> [String: Double?] {
        let a = r.atThreshold, free = r.thresholdFree
        let flagged = a.pointwise.tp + a.pointwise.fp
        return [
            "threshold": r.thresholdSelection.value,
            "alarm_rate": r.steps > 0 ? Double(flagged) / Double(r.steps) : nil,
            "pw_precision": a.pointwise.precision, "pw_recall": a.pointwise.recall, "pw_f1": a.pointwise.f1,
            "pa_precision": a.pointAdjusted.precision, "pa_recall": a.pointAdjusted.recall, "pa_f1": a.pointAdjusted.f1,
            "pak_auc": a.paK.areaF1, "event_f1": a.eventwise.f1,
            "roc_auc": free.rocAUC, "pr_auc": free.prAUC, "vus_pr": free.vusPR, "vus_roc": free.vusROC,
            "range_precision": a.rangePrecision, "range_recall": a.rangeRecall, "range_f1": a.rangeF1,
            "affiliation_precision": a.affiliationPrecision, "affiliation_recall": a.affiliationRecall,
            "affiliation_f1": a.affiliationF1,
            "hit100": free.rootCause?.hitAt100, "hit150": free.rootCause?.hitAt150,
            "ndcg100": free.rootCause?.ndcgAt100, "ndcg150": free.rootCause?.ndcgAt150,
        ]
    }

    public init(thresholdMethod: String, flat: [String: Double?], calibrations: [String: MetricsReport],
                calibrationFailures: [String: String], potFit: POTCalibration?, oracle: OracleBound?,
                validation: ValidationMetrics? = nil, transform: TransformState? = nil) {
        self.thresholdMethod = thresholdMethod; self.flat = flat; self.calibrations = calibrations
        self.calibrationFailures = calibrationFailures; self.potFit = potFit; self.oracle = oracle; self.validation = validation
        self.transform = transform
    }

    /// A flat metric (nil when absent or undefined).
    public subscript(key: String) -> Double? { flat[key] ?? nil }

    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ s: String) { stringValue = s }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    private static let structuredKeys: Set<String> = ["threshold_method", "calibrations", "calibration_failures", "pot_fit", "oracle",
                                                      "validation", "seed_runs", "sensitivity", "transform", "export_refused"]

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        try c.encode(thresholdMethod, forKey: Key("threshold_method"))
        for (k, v) in flat {
            if let v = v, v.isFinite { try c.encode(v, forKey: Key(k)) } else { try c.encodeNil(forKey: Key(k)) }
        }
        try c.encode(calibrations, forKey: Key("calibrations"))
        try c.encode(calibrationFailures, forKey: Key("calibration_failures"))
        try c.encodeIfPresent(potFit, forKey: Key("pot_fit"))
        try c.encodeIfPresent(oracle, forKey: Key("oracle"))
        try c.encodeIfPresent(validation, forKey: Key("validation"))
        try c.encodeIfPresent(seedRuns, forKey: Key("seed_runs"))
        try c.encodeIfPresent(sensitivity, forKey: Key("sensitivity"))
        try c.encodeIfPresent(transform, forKey: Key("transform"))
        try c.encodeIfPresent(exportRefused, forKey: Key("export_refused"))
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: Key.self)
        thresholdMethod = try c.decode(String.self, forKey: Key("threshold_method"))
        var flat: [String: Double?] = [:]
        for k in c.allKeys where !ModelMetrics.structuredKeys.contains(k.stringValue) {
            flat[k.stringValue] = try c.decodeNil(forKey: k) ? nil : try c.decode(Double.self, forKey: k)
        }
        self.flat = flat
        calibrations = try c.decode([String: MetricsReport].self, forKey: Key("calibrations"))
        calibrationFailures = try c.decode([String: String].self, forKey: Key("calibration_failures"))
        potFit = try c.decodeIfPresent(POTCalibration.self, forKey: Key("pot_fit"))
        oracle = try c.decodeIfPresent(OracleBound.self, forKey: Key("oracle"))
        validation = try c.decodeIfPresent(ValidationMetrics.self, forKey: Key("validation"))
        seedRuns = try c.decodeIfPresent([SeedRun].self, forKey: Key("seed_runs"))
        sensitivity = try c.decodeIfPresent(ThresholdSensitivity.self, forKey: Key("sensitivity"))
        transform = try c.decodeIfPresent(TransformState.self, forKey: Key("transform"))
        exportRefused = try c.decodeIfPresent(String.self, forKey: Key("export_refused"))
    }

    /// Per flat key: the mean over the seeded repeats (the flat value itself without repeats).
    public var seedMean: [String: Double?] {
        guard let runs = seedRuns, runs.count > 1 else { return flat }
        var out: [String: Double?] = [:]
        for k in Set(runs.flatMap(\.flat.keys)) { out[k] = Aggregate(runs.map { $0.flat[k] ?? nil }).mean }
        return out
    }

    /// Per flat key: the sample standard deviation over the seeded repeats (nil without repeats).
    public var seedStd: [String: Double?] {
        guard let runs = seedRuns, runs.count > 1 else { return [:] }
        var out: [String: Double?] = [:]
        for k in Set(runs.flatMap(\.flat.keys)) { out[k] = Aggregate(runs.map { $0.flat[k] ?? nil }).std }
        return out
    }
}

/// `metrics.json`: one machine's results for every model.
public struct MachineMetrics: Codable, Equatable, Sendable {
    public var format = "vigil-machine-metrics"
    public var version = 1
    public var machine: String
    public var configSHA256: String
    /// The resolved run config (as a JSON object).
    public var config: JSONValue
    public var dataset: DatasetFacts
    /// Results by model name.
    public var models: [String: ModelMetrics]
    /// Models that failed on this machine, with the reason.
    public var failures: [String: String]
    /// Model names in the config's order (JSON objects are unordered).
    public var modelOrder: [String]

    public init(machine: String, configSHA256: String, config: JSONValue, dataset: DatasetFacts, models: [String: ModelMetrics],
                failures: [String: String], modelOrder: [String]) {
        self.machine = machine; self.configSHA256 = configSHA256; self.config = config; self.dataset = dataset
        self.models = models; self.failures = failures; self.modelOrder = modelOrder
    }

    enum CodingKeys: String, CodingKey {
        case format, version, machine, config, dataset, models, failures
        case configSHA256 = "config_sha256", modelOrder = "model_order"
    }

    /// Deterministic pretty JSON (sorted keys).
    public func jsonData() throws -> Data { try JSONOutput.encode(self) }
}

/// One JSON encoding for every result file: pretty, sorted keys, slashes unescaped.
public enum JSONOutput {
    public static func encode<T: Encodable>(_ value: T) throws -> Data {
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        enc.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        var d = try enc.encode(value)
        d.append(0x0A)
        return d
    }

    public static func decode<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
        let dec = JSONDecoder()
        dec.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try dec.decode(type, from: data)
    }
}

/// A JSON value of any shape, for embedding documents (the resolved config) in typed results.
public indirect enum JSONValue: Codable, Equatable, Sendable {
    case null, bool(Bool), int(Int), double(Double), string(String), array([JSONValue]), object([String: JSONValue])

    /// The dotted paths of every non-object value below this one (`a.b` for {"a": {"b": 1}}); empty for a leaf.
    public var leafPaths: [String] {
        guard case .object(let o) = self else { return [] }
        return o.flatMap { k, v -> [String] in
            if case .object = v { return v.leafPaths.map { k + "." + $0 } }
            return [k]
        }
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let i = try? c.decode(Int.self) { self = .int(i) }
        else if let d = try? c.decode(Double.self) { self = .double(d) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([JSONValue].self) { self = .array(a) }
        else { self = .object(try c.decode([String: JSONValue].self)) }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case .bool(let b): try c.encode(b)
        case .int(let i): try c.encode(i)
        case .double(let d): try c.encode(d)
        case .string(let s): try c.encode(s)
        case .array(let a): try c.encode(a)
        case .object(let o): try c.encode(o)
        }
    }
}
