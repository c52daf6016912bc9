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

/// A threshold calibration method. `.pot` and `.percentile` are deployable (train scores only); `.potStream` is the
/// reference protocol and reads TEST scores; `.bestF1Oracle` reads TEST LABELS and is never a deployable result.
public enum CalibrationMethod: Codable, Equatable, Sendable {
    /// Deployable POT: z_q(train)·scale.
    case pot(POTParameters)
    /// Deployable percentile p (0…100) of train scores.
    case percentile(Double)
    /// Reference (TranAD `pot_eval`): SPOT on train then streamed over test, mean(per-step thresholds)·scale.
    case potStream(POTParameters, SPOTStreamMode)
    /// ORACLE: the threshold maximising F1 on the test labels (exact search over all distinct test scores).
    case bestF1Oracle(OracleObjective)

    /// Name used in every output; the oracle's name says ORACLE.
    public var name: String {
        switch self {
        case .pot: return "pot_train"
        case let .percentile(p): return "percentile_train_\(p)"
        case let .potStream(_, mode): return "pot_stream_\(mode.rawValue)"
        case let .bestF1Oracle(o): return "best_f1_ORACLE_\(o.rawValue)"
        }
    }
    /// True if the method reads test scores.
    public var readsTestScores: Bool {
        switch self { case .pot, .percentile: return false; case .potStream, .bestF1Oracle: return true }
    }
    /// True if the method reads test labels (only the oracle).
    public var readsTestLabels: Bool {
        if case .bestF1Oracle = self { return true }
        return false
    }
    /// The deployable form, if this method is deployable.
    public var deployable: DeployableCalibration? {
        switch self {
        case let .pot(p): return .pot(p)
        case let .percentile(p): return .percentile(p)
        default: return nil
        }
    }

    /// Computes the threshold. Deployable methods only ever receive `trainScores` (they are routed through
    /// `DeployableCalibration.threshold(trainScores:)`, which has no other input).
    public func calibrate(trainScores: [Double], testScores: [Double], testLabels: [Bool]) throws -> CalibratedThreshold {
        let value: Double
        switch self {
        case .pot, .percentile:
            value = try deployable!.threshold(trainScores: trainScores)
        case let .potStream(p, mode):
            value = try POT.referenceStream(trainScores: trainScores, testScores: testScores, parameters: p, mode: mode).threshold
        case let .bestF1Oracle(objective):
            value = try BestF1Oracle.search(scores: testScores, labels: testLabels, objective: objective).threshold
        }
        return CalibratedThreshold(value: value, method: name, readsTestScores: readsTestScores, readsTestLabels: readsTestLabels)
    }
}

/// A threshold and where it came from.
public struct CalibratedThreshold: Codable, Equatable, Sendable {
    public var value: Double
    /// `CalibrationMethod.name` (contains "ORACLE" for the oracle).
    public var method: String
    public var readsTestScores: Bool
    public var readsTestLabels: Bool

    public init(value: Double, method: String, readsTestScores: Bool, readsTestLabels: Bool) {
        self.value = value; self.method = method; self.readsTestScores = readsTestScores; self.readsTestLabels = readsTestLabels
    }

    enum CodingKeys: String, CodingKey {
        case value, method
        case readsTestScores = "reads_test_scores"
        case readsTestLabels = "reads_test_labels"
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
