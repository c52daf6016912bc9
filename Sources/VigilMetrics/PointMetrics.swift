// Threshold-dependent detection metrics: point-wise, point-adjusted, PA%K, event-wise.
import Foundation

/// Errors of metric computation; each says what to fix.
public enum MetricsError: Error, CustomStringConvertible, Equatable {
    /// Two inputs that must be aligned have different lengths.
    case lengthMismatch(what: String, expected: Int, found: Int)
    /// A per-dimension matrix has a bad shape.
    case badShape(what: String, count: Int, dimensions: Int)
    /// An input vector was empty.
    case empty(what: String)
    /// A score was NaN or infinite.
    case nonFinite(what: String, index: Int)
    /// A parameter is outside its allowed range.
    case invalidParameter(what: String, value: String, expected: String)

    public var description: String {
        switch self {
        case let .lengthMismatch(what, expected, found):
            return "\(what): expected \(expected) values (one per test step), found \(found); align scores and labels"
        case let .badShape(what, count, dimensions):
            return "\(what): \(count) values is not a whole number of rows of \(dimensions) dimensions"
        case let .empty(what):
            return "\(what): empty input; give at least one test step"
        case let .nonFinite(what, index):
            return "\(what): value #\(index) is NaN or infinite; fix the scores"
        case let .invalidParameter(what, value, expected):
            return "\(what) = \(value) is not allowed; give \(expected)"
        }
    }
}

/// Precision, recall and F1 with the confusion counts they come from.
/// precision = TP/(TP+FP), recall = TP/(TP+FN), F1 = 2·P·R/(P+R); each is defined as 0 when its denominator is 0
/// (no flagged points, no anomalies, or P = R = 0), so no metric is ever NaN.
public struct PRF: Codable, Equatable, Sendable {
    public var tp: Int
    public var fp: Int
    public var fn: Int
    public var tn: Int
    public var precision: Double
    public var recall: Double
    public var f1: Double

    /// Builds the metrics from confusion counts.
    public init(tp: Int, fp: Int, fn: Int, tn: Int) {
        self.tp = tp; self.fp = fp; self.fn = fn; self.tn = tn
        precision = tp + fp > 0 ? Double(tp) / Double(tp + fp) : 0
        recall = tp + fn > 0 ? Double(tp) / Double(tp + fn) : 0
        f1 = precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0
    }

    /// Point-wise metrics of `predictions` against `labels` (same length).
    public init(predictions: [Bool], labels: [Bool]) {
        precondition(predictions.count == labels.count)
        var tp = 0, fp = 0, fn = 0, tn = 0
        for i in 0..<labels.count {
            switch (predictions[i], labels[i]) {
            case (true, true): tp += 1
            case (true, false): fp += 1
            case (false, true): fn += 1
            case (false, false): tn += 1
            }
        }
        self.init(tp: tp, fp: fp, fn: fn, tn: tn)
    }
}

/// A maximal run of consecutive true values, [start, end] inclusive.
public struct Segment: Codable, Equatable, Sendable {
    public var start: Int
    public var end: Int
    public var length: Int { end - start + 1 }
    public init(start: Int, end: Int) { self.start = start; self.end = end }
}

/// Detection metrics that depend on a threshold.
public enum DetectionMetrics {
    /// Flags: score > threshold (strict, as the reference).
    public static func predictions(scores: [Double], threshold: Double) -> [Bool] {
        scores.map { $0 > threshold }
    }

    /// Maximal runs of `true` in `x`.
    public static func segments(_ x: [Bool]) -> [Segment] {
        var out: [Segment] = []
        var i = 0
        while i < x.count {
            if x[i] {
                var j = i
                while j + 1 < x.count && x[j + 1] { j += 1 }
                out.append(Segment(start: i, end: j))
                i = j + 1
            } else {
                i += 1
            }
        }
        return out
    }

    /// PA%K adjustment (Kim et al., AAAI 2022): a true segment with c flagged points out of L becomes fully flagged
    /// iff c > 0 and 100·c ≥ K·L. K = 0 is the classic point adjustment (any flagged point; OmniAnomaly/TranAD),
    /// K = 100 changes nothing (point-wise).
    public static func adjusted(predictions: [Bool], labels: [Bool], k: Double = 0) -> [Bool] {
        precondition(predictions.count == labels.count)
        var out = predictions
        for s in segments(labels) {
            var c = 0
            for i in s.start...s.end where predictions[i] { c += 1 }
            if c > 0 && Double(c) * 100 >= k * Double(s.length) {
                for i in s.start...s.end { out[i] = true }
            }
        }
        return out
    }

    /// Point-adjusted P/R/F1 (K = 0). Unlike the reference `adjust_predicts`, whose backward fill stops before index 0,
    /// a segment starting at index 0 is filled completely.
    public static func pointAdjusted(predictions: [Bool], labels: [Bool]) -> PRF {
        PRF(predictions: adjusted(predictions: predictions, labels: labels, k: 0), labels: labels)
    }

    /// Event-wise metrics: true events = maximal runs of anomalous labels, predicted events = maximal runs of flags.
    /// A true event is detected (event TP for recall) iff at least one of its points is flagged; a predicted event is
    /// correct (event TP for precision) iff it overlaps at least one anomalous point.
    /// recall = detected true events / true events, precision = correct predicted events / predicted events (0 if none).
    public static func eventWise(predictions: [Bool], labels: [Bool]) -> EventPRF {
        precondition(predictions.count == labels.count)
        let trueEvents = segments(labels), predEvents = segments(predictions)
        var detected = 0
        for s in trueEvents where (s.start...s.end).contains(where: { predictions[$0] }) { detected += 1 }
        var correct = 0
        for s in predEvents where (s.start...s.end).contains(where: { labels[$0] }) { correct += 1 }
        return EventPRF(trueEvents: trueEvents.count, detectedTrueEvents: detected,
                        predictedEvents: predEvents.count, correctPredictedEvents: correct)
    }

    /// PA%K curve for K = 0, 1, …, 100 and its area: trapezoid rule on that grid over K/100 ∈ [0, 1] (so in [0, 1]).
    public static func paKCurve(predictions: [Bool], labels: [Bool]) -> PAKCurve {
        var p: [Double] = [], r: [Double] = [], f: [Double] = []
        for k in 0...100 {
            let m = PRF(predictions: adjusted(predictions: predictions, labels: labels, k: Double(k)), labels: labels)
            p.append(m.precision); r.append(m.recall); f.append(m.f1)
        }
        func area(_ y: [Double]) -> Double {
            var s = 0.0
            for i in 0..<100 { s += (y[i] + y[i + 1]) / 2 }
            return s / 100
        }
        return PAKCurve(k: Array(0...100), precision: p, recall: r, f1: f,
                        areaPrecision: area(p), areaRecall: area(r), areaF1: area(f))
    }
}

/// Event-wise (segment) precision/recall/F1 with their counts; undefined ratios are 0.
public struct EventPRF: Codable, Equatable, Sendable {
    public var trueEvents: Int
    public var detectedTrueEvents: Int
    public var predictedEvents: Int
    public var correctPredictedEvents: Int
    public var precision: Double
    public var recall: Double
    public var f1: Double

    public init(trueEvents: Int, detectedTrueEvents: Int, predictedEvents: Int, correctPredictedEvents: Int) {
        self.trueEvents = trueEvents
        self.detectedTrueEvents = detectedTrueEvents
        self.predictedEvents = predictedEvents
        self.correctPredictedEvents = correctPredictedEvents
        precision = predictedEvents > 0 ? Double(correctPredictedEvents) / Double(predictedEvents) : 0
        recall = trueEvents > 0 ? Double(detectedTrueEvents) / Double(trueEvents) : 0
        f1 = precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0
    }

    enum CodingKeys: String, CodingKey {
        case trueEvents = "true_events"
        case detectedTrueEvents = "detected_true_events"
        case predictedEvents = "predicted_events"
        case correctPredictedEvents = "correct_predicted_events"
        case precision, recall, f1
    }
}

/// PA%K metrics for K = 0…100 (step 1) and their trapezoid areas normalised to [0, 1].
public struct PAKCurve: Codable, Equatable, Sendable {
    public var k: [Int]
    public var precision: [Double]
    public var recall: [Double]
    public var f1: [Double]
    public var areaPrecision: Double
    public var areaRecall: Double
    public var areaF1: Double

    enum CodingKeys: String, CodingKey {
        case k, precision, recall, f1
        case areaPrecision = "area_precision"
        case areaRecall = "area_recall"
        case areaF1 = "area_f1"
    }
}
