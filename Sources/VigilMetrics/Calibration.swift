// All threshold calibrations behind one API, with what each one reads made explicit.
import Foundation
import VigilThresholds

/// What the F1 oracle maximises.
public enum OracleObjective: String, Codable, Sendable {
    /// Point-adjusted F1 (what the reference's `bf_search` maximises).
    case pointAdjustedF1 = "point_adjusted_f1"
    /// Point-wise F1.
    case pointwiseF1 = "pointwise_f1"
}

/// The scores a calibration may be given. Which of them a method actually reads is its `reads`; deployable methods
/// are routed through `DeployableCalibration`, which never receives test scores or labels.
public struct CalibrationInputs: Sendable {
    /// Scores of the rows the model was fitted on (N,).
    public var train: [Double]
    /// Scores of the clean validation block (V,), nil without one.
    public var validation: [Double]?
    /// Test scores (T,) and labels (T,): only the stream protocol, the dynamic threshold (past scores, batch by
    /// batch) and the ORACLE read them.
    public var test: [Double]
    public var testLabels: [Bool]

    public init(train: [Double], validation: [Double]? = nil, test: [Double], testLabels: [Bool]) {
        self.train = train; self.validation = validation; self.test = test; self.testLabels = testLabels
    }
}

/// A threshold calibration method. `.pot`, `.percentile` (training scores) and `.potValidation`,
/// `.percentileValidation` (validation scores) are deployable; `.dynamic` (Hundman et al.) decides each batch of
/// the test stream from its PAST scores; `.potStream` is the reference protocol and reads the whole TEST series;
/// `.bestF1Oracle` reads TEST LABELS and is never a deployable result.
public enum CalibrationMethod: Codable, Equatable, Sendable {
    /// Deployable POT: z_q(train)·scale.
    case pot(POTParameters)
    /// Deployable percentile p (0…100) of train scores.
    case percentile(Double)
    /// Deployable POT on the validation block's scores: z_q(validation)·scale.
    case potValidation(POTParameters)
    /// Deployable percentile p (0…100) of the validation block's scores.
    case percentileValidation(Double)
    /// Hundman et al.'s non-parametric dynamic threshold over the test stream (reads past scores; its window starts
    /// filled with the validation scores, or the training scores without a validation block).
    case dynamic(DynamicThresholdParameters)
    /// Reference (TranAD `pot_eval`): SPOT on train then streamed over test, mean(per-step thresholds)·scale.
    case potStream(POTParameters, SPOTStreamMode)
    /// ORACLE: the threshold maximising F1 on the test labels (exact search over all distinct test scores).
    case bestF1Oracle(OracleObjective)

    /// Name used in every output; the oracle's name says ORACLE.
    public var name: String {
        switch self {
        case .pot: return "pot_train"
        case let .percentile(p): return "percentile_train_\(p)"
        case .potValidation: return "pot_validation"
        case let .percentileValidation(p): return "percentile_validation_\(p)"
        case .dynamic: return "dynamic_hundman"
        case let .potStream(_, mode): return "pot_stream_\(mode.rawValue)"
        case let .bestF1Oracle(o): return "best_f1_ORACLE_\(o.rawValue)"
        }
    }
    /// Everything the method may read (the result's `reads` says what it did read).
    public var reads: ScoreReads {
        switch self {
        case .pot, .percentile, .potValidation, .percentileValidation: return deployable!.reads
        case .dynamic: return ScoreReads(.trainScores, .validationScores, .pastScores)
        case .potStream: return ScoreReads(.trainScores, .testScores)
        case .bestF1Oracle: return ScoreReads(.testScores, .testLabels)
        }
    }
    /// True if the method reads the whole test series.
    public var readsTestScores: Bool { reads.readsTestScores }
    /// True if the method reads test labels (only the oracle).
    public var readsTestLabels: Bool { reads.readsTestLabels }
    /// True if the method reads past scores of the stream it decides (the dynamic threshold).
    public var readsPastScores: Bool { reads.readsPastScores }
    /// The deployable form, if this method is deployable.
    public var deployable: DeployableCalibration? {
        switch self {
        case let .pot(p): return .pot(p)
        case let .percentile(p): return .percentile(p)
        case let .potValidation(p): return .potValidation(p)
        case let .percentileValidation(p): return .percentileValidation(p)
        default: return nil
        }
    }

    /// Computes the threshold from training scores (no validation block).
    public func calibrate(trainScores: [Double], testScores: [Double], testLabels: [Bool]) throws -> CalibratedThreshold {
        try calibrate(CalibrationInputs(train: trainScores, test: testScores, testLabels: testLabels))
    }

    /// Computes the threshold. Deployable methods only ever receive training and validation scores (they are routed
    /// through `DeployableCalibration.threshold(trainScores:validationScores:)`, which has no other input).
    public func calibrate(_ inputs: CalibrationInputs) throws -> CalibratedThreshold {
        switch self {
        case .pot, .percentile, .potValidation, .percentileValidation:
            let d = deployable!
            let value = try d.threshold(trainScores: inputs.train, validationScores: inputs.validation)
            return CalibratedThreshold(value: value, method: name, reads: d.reads)
        case let .dynamic(p):
            let history = inputs.validation ?? inputs.train
            let r = try DynamicThreshold.run(stream: inputs.test, history: history, parameters: p)
            var sum = 0.0
            for v in r.thresholds { sum += v }
            var t = CalibratedThreshold(value: r.thresholds.isEmpty ? 0 : sum / Double(r.thresholds.count), method: name,
                                        reads: ScoreReads([inputs.validation == nil ? .trainScores : .validationScores, .pastScores]))
            t.flags = r.flags
            return t
        case let .potStream(p, mode):
            let value = try POT.referenceStream(trainScores: inputs.train, testScores: inputs.test, parameters: p, mode: mode).threshold
            return CalibratedThreshold(value: value, method: name, reads: reads)
        case let .bestF1Oracle(objective):
            let value = try BestF1Oracle.search(scores: inputs.test, labels: inputs.testLabels, objective: objective).threshold
            return CalibratedThreshold(value: value, method: name, reads: reads)
        }
    }
}

/// A threshold and where it came from. `reads` says every kind of data that went into it (with a score transform,
/// also what the transform read); only a threshold that reads training/validation scores alone is deployable.
/// Encoded as `value`, `method` and the five `reads_*` flags.
public struct CalibratedThreshold: Codable, Equatable, Sendable {
    /// The decision value (anomaly when the score is strictly greater); for the dynamic threshold, the mean of its
    /// per-batch thresholds (its decisions are `flags`).
    public var value: Double
    /// `CalibrationMethod.name` (contains "ORACLE" for the oracle).
    public var method: String
    public var reads: ScoreReads
    /// Per-row decisions of methods whose decision is not one number (the dynamic threshold); not encoded.
    public var flags: [Bool]?

    public var readsTestScores: Bool { reads.readsTestScores }
    public var readsTestLabels: Bool { reads.readsTestLabels }
    public var readsPastScores: Bool { reads.readsPastScores }
    /// True when only training/validation scores were read: the only thresholds an export accepts.
    public var isDeployable: Bool { reads.isDeployable }

    public init(value: Double, method: String, reads: ScoreReads) {
        self.value = value; self.method = method; self.reads = reads
    }

    /// A threshold with the two test flags (and nothing else recorded as read).
    public init(value: Double, method: String, readsTestScores: Bool, readsTestLabels: Bool) {
        var r = ScoreReads()
        if readsTestScores { r.insert(.testScores) }
        if readsTestLabels { r.insert(.testLabels) }
        self.init(value: value, method: method, reads: r)
    }

    /// The 0/1 decisions on `scores` (T,): `flags` when the method has them, else score > value.
    public func predictions(_ scores: [Double]) -> [Bool] {
        if let f = flags, f.count == scores.count { return f }
        return DetectionMetrics.predictions(scores: scores, threshold: value)
    }

    enum CodingKeys: String, CodingKey { case value, method }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(value, forKey: .value)
        try c.encode(method, forKey: .method)
        try reads.encode(to: encoder)
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        value = try c.decode(Double.self, forKey: .value)
        method = try c.decode(String.self, forKey: .method)
        reads = try ScoreReads(from: decoder)
        flags = nil
    }
}

/// ORACLE threshold search: reads test labels. Exact over every distinct score (the reference's `bf_search` scans a
/// fixed grid instead). Flags are score > threshold; the returned threshold lies in [next lower score, chosen score),
/// at their midpoint when representable. Ties in F1 keep the highest threshold.
public enum BestF1Oracle {
    /// Result of the oracle search.
    public struct Result: Codable, Equatable, Sendable {
        public var threshold: Double
        public var f1: Double
    }

    public static func search(scores: [Double], labels: [Bool], objective: OracleObjective) throws -> Result {
        guard !scores.isEmpty else { throw MetricsError.empty(what: "test scores") }
        guard labels.count == scores.count else {
            throw MetricsError.lengthMismatch(what: "test labels", expected: scores.count, found: labels.count)
        }
        if let i = scores.firstIndex(where: { !$0.isFinite }) { throw MetricsError.nonFinite(what: "test scores", index: i) }
        // Events (value, ΔTP, ΔFP): flagging everything ≥ value adds these counts.
        var events: [(v: Double, tp: Int, fp: Int)] = []
        let positives = labels.reduce(0) { $0 + ($1 ? 1 : 0) }
        switch objective {
        case .pointwiseF1:
            for i in scores.indices { events.append((scores[i], labels[i] ? 1 : 0, labels[i] ? 0 : 1)) }
        case .pointAdjustedF1:
            for i in scores.indices where !labels[i] { events.append((scores[i], 0, 1)) }
            for s in DetectionMetrics.segments(labels) {
                var m = -Double.infinity
                for i in s.start...s.end { m = max(m, scores[i]) }
                events.append((m, s.length, 0))
            }
        }
        events.sort { $0.v > $1.v }
        var best = Result(threshold: scores.max()!, f1: 0)   // flag nothing
        var tp = 0, fp = 0, i = 0
        while i < events.count {
            let v = events[i].v
            while i < events.count && events[i].v == v { tp += events[i].tp; fp += events[i].fp; i += 1 }
            let f1 = PRF(tp: tp, fp: fp, fn: positives - tp, tn: 0).f1
            if f1 > best.f1 {
                var thr: Double
                if i < events.count {
                    let lower = events[i].v
                    thr = lower + (v - lower) / 2
                    if !(thr < v) || thr < lower { thr = lower }
                } else {
                    thr = v.nextDown
                }
                best = Result(threshold: thr, f1: f1)
            }
        }
        return best
    }
}
