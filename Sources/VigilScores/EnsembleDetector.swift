// A score ensemble through the same detector door as every model: its members are fitted (or given fitted), their
// 1-D scores are put on one scale with statistics of training or validation scores only, and averaged.
import Foundation
import VigilData

/// A member score transform fitted on one member's scores (implemented above this layer, by VigilTransforms, and
/// injected through `EnsembleDetector.memberTransform`): what the ensemble standardizes instead of the raw 1-D score.
public protocol FittedMemberTransform {
    /// The member's transformed scores of a stream from its first row.
    func apply(_ s: ScoreSet) throws -> ScoreSet
    /// The transformed scores of `s` as the continuation of `prefix`.
    func apply(_ s: ScoreSet, after prefix: ScoreSet) throws -> ScoreSet
    /// The formula, for provenance.
    var formula: String { get }
}

/// Fits a member transform on a member's scores of the fitted rows and of the validation block (nil without one).
public typealias MemberTransformFitter = (_ train: ScoreSet, _ validation: ScoreSet?) throws -> FittedMemberTransform

/// Mean of the members' standardized 1-D scores.
///
///     zscore:  e(x) = (1/M) Σ_m (s_m(x) − μ_m) / σ_m                    μ_m, σ_m: mean, population std (≥ 1e-12)
///     rank:    e(x) = (1/M) Σ_m F_m(s_m(x)),  F_m(s) = (#{v < s} + ½ #{v = s}) / n    (empirical CDF)
///
/// over the member's fitting scores v (n of them): the scores of the fitted rows, or of the clean validation block
/// (scored as the continuation of the fitted rows) when `onValidation` and a block is given. With `memberTransform`,
/// s_m is the member's transformed score (e.g. robust per-dimension normalization and its mean), the transform fitted
/// on the member's own training/validation scores. Reads training rows only.
public final class EnsembleDetector: ValidationAwareDetector {
    public enum Combine: String, Codable, Sendable { case zscore, rank }

    /// A member's fitted statistics.
    public struct MemberStatistics: Codable, Equatable, Sendable {
        public var model: String
        public var mean: Double
        public var std: Double
        /// Ascending fitting scores (rank only; empty for zscore).
        public var sorted: [Double]
        /// `train` or `validation`.
        public var fittedOn: String
    }

    public let name = "ensemble"
    public let members: [AnomalyDetector]
    /// Members that arrive fitted (on the same rows): fitted again only if not.
    private let prefitted: Set<String>
    public let combine: Combine
    public let onValidation: Bool
    public private(set) var statistics: [MemberStatistics] = []
    /// Fits a transform per member before standardization (nil: the members' own 1-D scores).
    public var memberTransform: MemberTransformFitter?
    private var fittedTransforms: [FittedMemberTransform?] = []

    /// `members` in order; those named in `prefitted` are already fitted on the rows `fit` will receive.
    public init(members: [AnomalyDetector], prefitted: Set<String> = [], combine: Combine, onValidation: Bool) {
        self.members = members; self.prefitted = prefitted; self.combine = combine; self.onValidation = onValidation
    }

    public var provenance: [String: String] {
        var p = ["model": "ensemble", "members": members.map(\.name).joined(separator: ","), "combine": combine.rawValue,
                 "statistics": onValidation ? "validation" : "train",
                 "aggregate": combine == .zscore ? "mean over members of (s − mean) / std of the member's fitting scores"
                     : "mean over members of the empirical CDF of the member's fitting scores"]
        for s in statistics { p["member_\(s.model)"] = String(format: "mean %.6g, std %.6g on %@ scores", s.mean, s.std, s.fittedOn) }
        if let f = fittedTransforms.compactMap({ $0 }).first { p["member_transform"] = f.formula }
        return p
    }

    public func fit(_ train: DataMatrix, progress: ((String) -> Void)?) throws {
        try fit(train, validation: nil, progress: progress)
    }

    public func fit(_ train: DataMatrix, validation: DataMatrix?, progress: ((String) -> Void)?) throws {
        guard !members.isEmpty else { throw DetectorError.notFitted("ensemble (no members)") }
        statistics = []
        fittedTransforms = []
        for m in members {
            if !prefitted.contains(m.name) { try m.fitUsingValidation(train, validation: validation, progress: progress) }
            let hasValidation = validation.map { $0.rows > 0 } ?? false
            let useValidation = onValidation && hasValidation
            let trainScores = try m.score(train)
            let validationScores = hasValidation ? try m.score(validation!, after: train) : nil
            let ft = try memberTransform?(trainScores, validationScores)
            fittedTransforms.append(ft)
            let fitting = useValidation ? validationScores! : trainScores
            let v = try ft.map { useValidation ? try $0.apply(fitting, after: trainScores) : try $0.apply(fitting) }?.aggregate ?? fitting.aggregate
            guard !v.isEmpty, v.allSatisfy(\.isFinite) else {
                throw DetectorError.notFitted("ensemble member \(m.name) gave no finite fitting scores")
            }
            var mean = 0.0
            for x in v { mean += x }
            mean /= Double(v.count)
            var q = 0.0
            for x in v { q += (x - mean) * (x - mean) }
            statistics.append(MemberStatistics(model: m.name, mean: mean, std: max((q / Double(v.count)).squareRoot(), 1e-12),
                                               sorted: combine == .rank ? v.sorted() : [], fittedOn: useValidation ? "validation" : "train"))
            progress?("ensemble member \(m.name): statistics on \(v.count) \(useValidation ? "validation" : "training") scores")
        }
    }

    public func score(_ x: DataMatrix) throws -> ScoreSet {
        guard statistics.count == members.count else { throw DetectorError.notFitted(name) }
        var out = [Double](repeating: 0, count: x.rows)
        for (i, (m, st)) in zip(members, statistics).enumerated() {
            let raw = try m.score(x)
            let s = try fittedTransforms[i].map { try $0.apply(raw) }?.aggregate ?? raw.aggregate
            for i in 0..<x.rows { out[i] += Self.standardize(s[i], st, combine) }
        }
        let k = Double(members.count)
        return ScoreSet(model: name, aggregate: out.map { $0 / k }, provenance: provenance)
    }

    /// One member's standardized score.
    public static func standardize(_ s: Double, _ st: MemberStatistics, _ combine: Combine) -> Double {
        switch combine {
        case .zscore: return (s - st.mean) / st.std
        case .rank:
            let v = st.sorted
            var lo = 0, hi = v.count            // first index with v ≥ s
            while lo < hi { let mid = (lo + hi) / 2; if v[mid] < s { lo = mid + 1 } else { hi = mid } }
            var up = lo, top = v.count          // first index with v > s
            while up < top { let mid = (up + top) / 2; if v[mid] <= s { up = mid + 1 } else { top = mid } }
            return (Double(lo) + 0.5 * Double(up - lo)) / Double(v.count)
        }
    }
}
