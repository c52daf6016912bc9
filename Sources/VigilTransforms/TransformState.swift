// A fitted score transform: its settings and every statistic it was fitted with, as a Codable value, so an export
// can carry it and `vigil score` can apply exactly what was evaluated.
import Foundation
import VigilScores
import VigilThresholds

/// A score transform fitted on training/validation scores (see `TransformSettings` for the stages).
///
/// For scores e (rows × C, C = D per-dimension columns, or 1 = the model's own 1-D score when `aggregate` is
/// `model` or the model has no per-dimension scores):
///
///     z_{t,d} = (e_{t,d} − c_d) / s_d                      normalization (c_d = 0, s_d = 1 when `none`)
///     a_t     = agg_d z_{t,d}                              mean | max | mean of the top k | the single column
///     y_t     = smooth(a)_t                                moving average / EWMA over rows ≤ t (causal)
///     out_t   = (y_t − m_t) / max(r_t, f·r_ref)            causal robust normalization (when W > 0)
///
/// where s_d = max(raw scale_d, f · median_d' raw scale_d', 1e-12) with f = `scaleFloor`, and m_t, r_t are the median
/// and interquartile range of the W values of y before row t: the stored history (the last W values of y on the
/// training then validation scores) followed by the stream's own earlier rows. With fewer than 2 values before row t
/// the reference (m_ref, r_ref: median and IQR of the stored history) stands in.
public struct TransformState: Codable, Equatable, Sendable {
    public var format = "vigil-score-transform"
    public var version = 1
    public var normalize: ScoreNormalization
    public var statistics: NormalizationStatistics
    /// `model`, `mean`, `max` or `top_k`.
    public var aggregate: String
    /// k of `top_k` (nil otherwise).
    public var topK: Int?
    /// `none`, `moving_average` or `ewma`, and its window w (nil for `none`).
    public var smooth: String
    public var smoothWindow: Int?
    /// W of the causal robust normalization (0 = off).
    public var causalWindow: Int
    public var scaleFloor: Double
    /// `per_dimension` (the model's D per-dimension scores) or `model_score` (its one score per row).
    public var input: String
    /// Columns C the statistics were fitted on (D, or 1).
    public var columns: Int
    /// c_d and s_d (already floored), C each; empty when `normalize` is `none`.
    public var center: [Double]
    public var scale: [Double]
    /// The last W values of y on the training then validation scores (empty when W = 0), and their median and IQR.
    public var causalHistory: [Double]
    public var causalReferenceCenter: Double?
    public var causalReferenceScale: Double?
    /// What fitting and applying read (`reads_train_scores`, …, `reads_past_scores`, `reads_test_scores`).
    public var reads: ScoreReads
    /// The formula with its settings, for reports.
    public var formula: String

    enum CodingKeys: String, CodingKey {
        case format, version, normalize, statistics, aggregate, smooth, input, columns, center, scale, reads, formula
        case topK = "top_k", smoothWindow = "smooth_window", causalWindow = "causal_window", scaleFloor = "scale_floor"
        case causalHistory = "causal_history", causalReferenceCenter = "causal_reference_center"
        case causalReferenceScale = "causal_reference_scale"
    }

    /// The settings this state was fitted with.
    public var settings: TransformSettings {
        TransformSettings(normalize: normalize, statistics: statistics,
                          aggregate: ScoreAggregation(name: aggregate, k: topK ?? 1) ?? .model,
                          smooth: ScoreSmoothing(name: smooth, window: smoothWindow ?? 1) ?? .none,
                          causalWindow: causalWindow, scaleFloor: scaleFloor)
    }

    /// True when `apply` returns its input's scores unchanged.
    public var isIdentity: Bool { settings.isIdentity }

    /// Only transforms that read training/validation scores alone can be exported.
    public var isDeployable: Bool { reads.isDeployable }

    /// Fits the transform. `train`: scores of the rows the model was fitted on; `validation`: of the clean validation
    /// block that follows them (nil without one); `test`: needed only by `statistics: test` (reads TEST scores).
    public static func fit(_ settings: TransformSettings, train: ScoreSet, validation: ScoreSet? = nil,
                           test: ScoreSet? = nil) throws -> TransformState {
        try settings.validate()
        let perDimension = train.dims > 0 && settings.aggregate != .model
        let columns = perDimension ? train.dims : 1
        var reads = ScoreReads()
        var state = TransformState(
            normalize: settings.normalize, statistics: settings.statistics, aggregate: settings.aggregate.name,
            topK: { if case .topK(let k) = settings.aggregate { return k }; return nil }(),
            smooth: settings.smooth.name,
            smoothWindow: { switch settings.smooth { case .movingAverage(let w), .ewma(let w): return w; case .none: return nil } }(),
            causalWindow: settings.causalWindow, scaleFloor: settings.scaleFloor,
            input: perDimension ? "per_dimension" : "model_score", columns: columns, center: [], scale: [],
            causalHistory: [], causalReferenceCenter: nil, causalReferenceScale: nil, reads: reads, formula: "")
        for s in [train, validation, test].compactMap({ $0 }) {
            try state.checkShape(s)
            if let r = s.firstNonFiniteRow { throw TransformError.badScores("\(s.model) scores are not finite at row \(r); fix the model's scores first") }
        }
        if settings.normalize != .none {
            let source: ScoreSet
            switch settings.statistics {
            case .train: source = train; reads.insert(.trainScores)
            case .validation:
                guard let v = validation else {
                    throw TransformError.missingScores("transform.statistics is validation but there is no validation block; set validation.fraction > 0 or transform.statistics: train")
                }
                source = v; reads.insert(.validationScores)
            case .test:
                guard let t = test else { throw TransformError.missingScores("transform.statistics is test but no test scores were given") }
                source = t; reads.insert(.testScores)
            }
            guard source.rows > 0 else { throw TransformError.badScores("no \(settings.statistics.rawValue) scores to fit the normalization on") }
            var center = [Double](repeating: 0, count: columns), raw = center
            for d in 0..<columns {
                let col = state.column(source, d)
                (center[d], raw[d]) = settings.normalize == .zscore ? ScoreStatistics.meanStd(col) : ScoreStatistics.medianIQR(col)
            }
            let floor = Swift.max(settings.scaleFloor * ScoreStatistics.quantile(sorted: raw.sorted(), 0.5), 1e-12)
            state.center = center
            state.scale = raw.map { Swift.max($0, floor) }
        }
        if settings.causalWindow > 0 {
            // the stream before the test series: the fitted rows, then the validation block
            reads.insert(.trainScores)
            let stream: [Double]
            if let v = validation {
                reads.insert(.validationScores)
                stream = try state.stagesBeforeCausal(ScoreSet.concatenating(train, v))
            } else {
                stream = try state.stagesBeforeCausal(train)
            }
            guard !stream.isEmpty else { throw TransformError.badScores("no training scores to start the causal normalization from") }
            let history = Array(stream.suffix(settings.causalWindow))
            let (m, r) = ScoreStatistics.medianIQR(history)
            state.causalHistory = history
            state.causalReferenceCenter = m
            state.causalReferenceScale = Swift.max(r, 1e-12)
            reads.insert(.pastScores)
        }
        state.reads = reads
        state.formula = state.describe()
        return state
    }

    /// Applies the transform to a stream of scores from its first row. `seeded`: start the causal normalization from
    /// the stored history (the test series and serving, which follow the training data); false starts it empty (a
    /// stream that begins with the training rows). Returns the same model's scores: `aggregate` transformed, and
    /// `perDimension` normalized when the input was per-dimension (unchanged otherwise).
    public func apply(_ s: ScoreSet, seeded: Bool = true) throws -> ScoreSet {
        try checkShape(s)
        if let r = s.firstNonFiniteRow { throw TransformError.badScores("\(s.model) scores are not finite at row \(r)") }
        if isIdentity { return s }
        let z = normalized(s)
        var y = aggregateRows(z, rows: s.rows)
        smoothInPlace(&y)
        if causalWindow > 0 { y = try causal(y, seeded: seeded) }
        if let i = y.firstIndex(where: { !$0.isFinite }) {
            throw TransformError.badScores("the transformed score of row \(i) is not finite (scores too large for the normalization)")
        }
        var p = s.provenance
        p["transform"] = formula
        if input == "per_dimension" {
            return ScoreSet(model: s.model, perDimension: z, rows: s.rows, dims: s.dims, aggregate: y, provenance: p)
        }
        if s.dims > 0 {
            return ScoreSet(model: s.model, perDimension: s.perDimension, rows: s.rows, dims: s.dims, aggregate: y, provenance: p)
        }
        return ScoreSet(model: s.model, aggregate: y, provenance: p)
    }

    /// Applies the transform to `prefix` followed by `s` as one stream (unseeded: it starts with the training rows)
    /// and returns the rows of `s`: the validation blocks, whose smoothing and causal windows see the fitted rows.
    public func apply(_ s: ScoreSet, after prefix: ScoreSet) throws -> ScoreSet {
        let all = try apply(ScoreSet.concatenating(prefix, s), seeded: false)
        return all.rows(prefix.rows..<all.rows)
    }

    // MARK: stages

    func checkShape(_ s: ScoreSet) throws {
        if input == "per_dimension" {
            guard s.dims == columns else { throw TransformError.shapeMismatch(expected: columns, found: s.dims) }
        }
        guard s.aggregate.count == s.rows, s.perDimension.count == s.rows * s.dims else {
            throw TransformError.badScores("\(s.model): \(s.aggregate.count) row scores and \(s.perDimension.count) per-dimension scores do not form \(s.rows) rows")
        }
    }

    /// Column d of s (rows values) as this state reads it.
    func column(_ s: ScoreSet, _ d: Int) -> [Double] {
        input == "per_dimension" ? s.dimension(d) : s.aggregate
    }

    /// z (rows × C row-major).
    func normalized(_ s: ScoreSet) -> [Double] {
        let src = input == "per_dimension" ? s.perDimension : s.aggregate
        guard !center.isEmpty else { return src }
        let c = columns
        var z = [Double](repeating: 0, count: src.count)
        for r in 0..<s.rows {
            for d in 0..<c { z[r * c + d] = (src[r * c + d] - center[d]) / scale[d] }
        }
        return z
    }

    /// a (rows): one score per row from z (rows × C).
    func aggregateRows(_ z: [Double], rows: Int) -> [Double] {
        let c = columns
        if c == 1 { return z }
        var a = [Double](repeating: 0, count: rows)
        var buf = [Double](repeating: 0, count: c)
        for r in 0..<rows {
            let base = r * c
            switch aggregate {
            case "mean":
                var sum = 0.0
                for d in 0..<c { sum += z[base + d] }
                a[r] = sum / Double(c)
            case "max":
                var m = -Double.infinity
                for d in 0..<c { m = Swift.max(m, z[base + d]) }
                a[r] = m
            default:   // top_k
                let k = Swift.min(topK ?? 1, c)
                for d in 0..<c { buf[d] = z[base + d] }
                buf.sort(by: >)
                var sum = 0.0
                for i in 0..<k { sum += buf[i] }
                a[r] = sum / Double(k)
            }
        }
        return a
    }

    func smoothInPlace(_ y: inout [Double]) {
        guard let w = smoothWindow, !y.isEmpty else { return }
        switch smooth {
        case "moving_average":
            // running sum of the last m = min(w, t + 1) values, recomputed exactly every 4096 rows against drift
            let x = y
            var sum = 0.0
            for t in 0..<x.count {
                sum += x[t]
                if t >= w { sum -= x[t - w] }
                if t % 4096 == 4095 {
                    sum = 0
                    for i in Swift.max(0, t - w + 1)...t { sum += x[i] }
                }
                y[t] = sum / Double(Swift.min(w, t + 1))
            }
        case "ewma":
            let alpha = 2.0 / Double(w + 1)
            for t in 1..<y.count { y[t] = alpha * y[t] + (1 - alpha) * y[t - 1] }
        default: break
        }
    }

    /// Stages 1–3 on s (its 1-D score before the causal normalization).
    func stagesBeforeCausal(_ s: ScoreSet) throws -> [Double] {
        try checkShape(s)
        var y = aggregateRows(normalized(s), rows: s.rows)
        smoothInPlace(&y)
        return y
    }

    func causal(_ y: [Double], seeded: Bool) throws -> [Double] {
        guard let mRef = causalReferenceCenter, let rRef = causalReferenceScale else {
            throw TransformError.damagedState("causal_window is \(causalWindow) but the reference center/scale are missing")
        }
        var window = SortedWindow(capacity: causalWindow)
        if seeded { for v in causalHistory.suffix(causalWindow) { window.push(v) } }
        let floor = Swift.max(scaleFloor * rRef, 1e-12)
        var out = [Double](repeating: 0, count: y.count)
        for t in 0..<y.count {
            let (m, r) = window.count >= 2 ? window.medianIQR() : (mRef, rRef)
            out[t] = (y[t] - m) / Swift.max(r, floor)
            window.push(y[t])
        }
        return out
    }

    func describe() -> String {
        var parts: [String] = []
        switch normalize {
        case .none: break
        case .zscore: parts.append("z_d = (e_d − mean_d) / max(std_d, \(scaleFloor)·median std) on \(statistics.rawValue) scores")
        case .robust: parts.append("z_d = (e_d − median_d) / max(IQR_d, \(scaleFloor)·median IQR) on \(statistics.rawValue) scores")
        }
        switch aggregate {
        case "model": parts.append("the model's own score")
        case "top_k": parts.append("mean of the top \(topK ?? 1) of \(columns) columns")
        default: parts.append("\(aggregate) over \(columns) columns")
        }
        if let w = smoothWindow { parts.append(smooth == "ewma" ? "EWMA (span \(w))" : "moving average (\(w) rows)") }
        if causalWindow > 0 { parts.append("causal robust normalization over the last \(causalWindow) scores (reads past scores)") }
        return parts.joined(separator: "; ")
    }

    /// Checks a decoded state (from an export) before use.
    public func validate() throws {
        guard format == "vigil-score-transform", version == 1 else { throw TransformError.damagedState("format \(format) version \(version)") }
        try settings.validate()
        guard ScoreAggregation(name: aggregate, k: topK ?? 1) != nil, ScoreSmoothing(name: smooth, window: smoothWindow ?? 1) != nil else {
            throw TransformError.damagedState("unknown aggregate '\(aggregate)' or smooth '\(smooth)'")
        }
        guard input == "per_dimension" || input == "model_score", columns >= 1 else { throw TransformError.damagedState("input \(input), columns \(columns)") }
        if normalize != .none {
            guard center.count == columns, scale.count == columns, center.allSatisfy(\.isFinite), scale.allSatisfy({ $0.isFinite && $0 > 0 }) else {
                throw TransformError.damagedState("center/scale must be \(columns) finite values with positive scales")
            }
        }
        if causalWindow > 0 {
            guard !causalHistory.isEmpty, causalHistory.count <= causalWindow, causalHistory.allSatisfy(\.isFinite),
                  let r = causalReferenceScale, r > 0, causalReferenceCenter?.isFinite == true else {
                throw TransformError.damagedState("causal history and reference are missing or not finite")
            }
        }
    }
}

extension ScoreSet {
    /// `a`'s rows followed by `b`'s (same model, same columns; provenance of `a`).
    public static func concatenating(_ a: ScoreSet, _ b: ScoreSet) throws -> ScoreSet {
        guard a.dims == b.dims else { throw TransformError.shapeMismatch(expected: a.dims, found: b.dims) }
        if a.dims == 0 { return ScoreSet(model: a.model, aggregate: a.aggregate + b.aggregate, provenance: a.provenance) }
        return ScoreSet(model: a.model, perDimension: a.perDimension + b.perDimension, rows: a.rows + b.rows, dims: a.dims,
                        aggregate: a.aggregate + b.aggregate, provenance: a.provenance)
    }
}

/// A fitted transform is what the ensemble applies to a member's scores (`EnsembleDetector.memberTransform`).
extension TransformState: FittedMemberTransform {
    /// `apply(s, seeded: true)`.
    public func apply(_ s: ScoreSet) throws -> ScoreSet { try apply(s, seeded: true) }
}
