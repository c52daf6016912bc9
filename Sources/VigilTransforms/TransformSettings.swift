// What a score transform does, as configured (`transform.*` keys). The fitted form is `TransformState`.
import Foundation

/// Per-column normalization of the scores before aggregation. With c_d and s_d the column's fitted center and scale
/// (see `TransformState`), the normalized score is z_d = (e_d − c_d) / s_d.
public enum ScoreNormalization: String, Codable, CaseIterable, Sendable {
    /// No normalization (z_d = e_d).
    case none
    /// c_d = mean, s_d = population standard deviation of the column's fitting scores.
    case zscore
    /// c_d = median, s_d = interquartile range Q75 − Q25 (numpy's linear interpolation) of the fitting scores.
    case robust
}

/// Which scores the normalization statistics are fitted on.
public enum NormalizationStatistics: String, Codable, CaseIterable, Sendable {
    /// Scores of the rows the model was fitted on.
    case train
    /// Scores of the clean validation block (held-out training rows; needs `validation.fraction` > 0).
    case validation
    /// The whole test series (reads TEST scores: never exportable; for comparison only).
    case test
}

/// How the (normalized) columns become one score per row.
public enum ScoreAggregation: Equatable, Sendable {
    /// The model's own 1-D score (TranAD: the mean of its per-dimension scores, `l2_norm`: the row norm, Isolation
    /// Forest: its only score); normalization then applies to that one column.
    case model
    /// (1/D) Σ_d z_d.
    case mean
    /// max_d z_d.
    case max
    /// The mean of the k largest z_d of the row (k ≥ 1; k ≥ D is the mean).
    case topK(Int)

    /// The name in configs and outputs (`model`, `mean`, `max`, `top_k`).
    public var name: String {
        switch self {
        case .model: return "model"
        case .mean: return "mean"
        case .max: return "max"
        case .topK: return "top_k"
        }
    }

    /// Names accepted by `transform.aggregate`.
    public static let names = ["model", "mean", "max", "top_k"]

    /// The aggregation named `name` (`top_k` takes `k`).
    public init?(name: String, k: Int) {
        switch name {
        case "model": self = .model
        case "mean": self = .mean
        case "max": self = .max
        case "top_k": self = .topK(k)
        default: return nil
        }
    }
}

/// Causal smoothing of the 1-D score: a fixed filter whose output at row t depends on rows ≤ t of its own input only.
/// Its coefficients come from the config, nothing is estimated from the stream, so it reads no scores beyond the
/// ones it filters (like the model's own input window); a stream starts fresh at its first row.
public enum ScoreSmoothing: Equatable, Sendable {
    case none
    /// y_t = (1/m) Σ_{i=t−m+1…t} x_i with m = min(w, t + 1) (the first rows average what exists).
    case movingAverage(window: Int)
    /// y_0 = x_0, y_t = α x_t + (1 − α) y_{t−1} with α = 2 / (w + 1) (pandas' `span` = w).
    case ewma(window: Int)

    public var name: String {
        switch self {
        case .none: return "none"
        case .movingAverage: return "moving_average"
        case .ewma: return "ewma"
        }
    }

    /// Names accepted by `transform.smooth`.
    public static let names = ["none", "moving_average", "ewma"]

    public init?(name: String, window: Int) {
        switch name {
        case "none": self = .none
        case "moving_average": self = .movingAverage(window: window)
        case "ewma": self = .ewma(window: window)
        default: return nil
        }
    }
}

/// Everything `transform.*` says. The default is the identity (the model's own score, unchanged).
///
/// Stages, in order: (1) per-column normalization, (2) aggregation to one score per row, (3) causal smoothing,
/// (4) optional causal robust normalization against the trailing `causalWindow` scores of the stream itself
/// (reads PAST scores: a live system can do it, but it is not exportable).
public struct TransformSettings: Equatable, Sendable {
    public var normalize: ScoreNormalization
    public var statistics: NormalizationStatistics
    public var aggregate: ScoreAggregation
    public var smooth: ScoreSmoothing
    /// Trailing window W of the causal robust normalization; 0 = off.
    public var causalWindow: Int
    /// Floor of every normalization scale, as a fraction f of a reference scale: per-column scales are at least
    /// f · median_d(s_d); the causal scale is at least f · the IQR of the fitted reference history.
    public var scaleFloor: Double

    public static let windowRange = 1...100_000
    public static let topKRange = 1...100_000
    public static let causalWindowRange = 0...100_000
    public static let scaleFloorRange = 0.0...1.0

    public init(normalize: ScoreNormalization = .none, statistics: NormalizationStatistics = .train, aggregate: ScoreAggregation = .model,
                smooth: ScoreSmoothing = .none, causalWindow: Int = 0, scaleFloor: Double = 0.01) {
        self.normalize = normalize; self.statistics = statistics; self.aggregate = aggregate; self.smooth = smooth
        self.causalWindow = causalWindow; self.scaleFloor = scaleFloor
    }

    /// True when applying the transform returns the model's scores unchanged.
    public var isIdentity: Bool { normalize == .none && aggregate == .model && smooth == .none && causalWindow == 0 }

    /// Checks the values (the config checks the same ranges where they enter).
    public func validate() throws {
        switch aggregate {
        case .topK(let k) where !Self.topKRange.contains(k):
            throw TransformError.invalidParameter(name: "top_k", value: "\(k)", expected: "an integer in \(Self.topKRange)")
        default: break
        }
        switch smooth {
        case .movingAverage(let w), .ewma(let w):
            guard Self.windowRange.contains(w) else {
                throw TransformError.invalidParameter(name: "smooth_window", value: "\(w)", expected: "an integer in \(Self.windowRange)")
            }
        case .none: break
        }
        guard Self.causalWindowRange.contains(causalWindow), causalWindow != 1 else {
            throw TransformError.invalidParameter(name: "causal_window", value: "\(causalWindow)", expected: "0 (off) or an integer in 2…100000")
        }
        guard scaleFloor.isFinite, Self.scaleFloorRange.contains(scaleFloor) else {
            throw TransformError.invalidParameter(name: "scale_floor", value: "\(scaleFloor)", expected: "a number in [0, 1]")
        }
    }
}

/// Errors of fitting or applying a transform; each says what to change.
public enum TransformError: Error, CustomStringConvertible, Equatable {
    case invalidParameter(name: String, value: String, expected: String)
    /// The statistics need scores that were not given (e.g. validation scores without a validation block).
    case missingScores(String)
    /// Scores to fit or apply on are empty or not finite.
    case badScores(String)
    /// The scores have another number of columns than the transform was fitted on.
    case shapeMismatch(expected: Int, found: Int)
    /// A stored state is inconsistent.
    case damagedState(String)

    public var description: String {
        switch self {
        case let .invalidParameter(name, value, expected):
            return "transform.\(name) = \(value) is invalid; expected \(expected)"
        case let .missingScores(what):
            return "transform: \(what)"
        case let .badScores(what):
            return "transform: \(what)"
        case let .shapeMismatch(expected, found):
            return "transform: fitted on \(expected) score columns, given \(found); apply it to scores of the same model and data"
        case let .damagedState(why):
            return "transform state is damaged: \(why); export it again"
        }
    }
}
