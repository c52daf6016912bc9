// What a score stage (transform or calibration) reads, carried as a value so every output can say it and the export
// can refuse what a deployed system could not reproduce.
import Foundation

/// One kind of data a score stage may read.
///
/// Deployable stages read only `trainScores` and `validationScores` (scores of training rows: the rows a model was
/// fitted on and the held-out end of the training data). `pastScores` are the scores of the stream being scored,
/// before (or, for a batched method, up to the end of the batch of) the step being decided — what a live system has
/// seen; `testScores` is the whole test series at once (future included); `testLabels` are the answers.
public enum ScoreSource: String, Codable, CaseIterable, Comparable, Sendable {
    case trainScores = "train_scores"
    case validationScores = "validation_scores"
    case pastScores = "past_scores"
    case testScores = "test_scores"
    case testLabels = "test_labels"

    public static func < (a: ScoreSource, b: ScoreSource) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}

/// The set of sources a stage (or a chain of stages) reads. Encoded as its flags, e.g.
/// `{"reads_train_scores": true, "reads_validation_scores": false, "reads_past_scores": false, …}`.
public struct ScoreReads: Codable, Equatable, Hashable, Sendable {
    public private(set) var sources: Set<ScoreSource>

    public init(_ sources: Set<ScoreSource> = []) { self.sources = sources }
    public init(_ sources: ScoreSource...) { self.sources = Set(sources) }

    public func reads(_ s: ScoreSource) -> Bool { sources.contains(s) }
    public var readsTrainScores: Bool { reads(.trainScores) }
    public var readsValidationScores: Bool { reads(.validationScores) }
    public var readsPastScores: Bool { reads(.pastScores) }
    public var readsTestScores: Bool { reads(.testScores) }
    public var readsTestLabels: Bool { reads(.testLabels) }

    /// True when only training and validation scores are read: the only stages that may be exported.
    public var isDeployable: Bool { sources.isSubset(of: [.trainScores, .validationScores]) }

    /// The union of two stages' reads (a chain reads what any of its stages reads).
    public func union(_ o: ScoreReads) -> ScoreReads { ScoreReads(sources.union(o.sources)) }
    public mutating func insert(_ s: ScoreSource) { sources.insert(s) }

    /// The sources, in `ScoreSource` order (for messages).
    public var sorted: [ScoreSource] { sources.sorted() }

    enum CodingKeys: String, CodingKey {
        case train = "reads_train_scores", validation = "reads_validation_scores", past = "reads_past_scores"
        case test = "reads_test_scores", labels = "reads_test_labels"
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(readsTrainScores, forKey: .train)
        try c.encode(readsValidationScores, forKey: .validation)
        try c.encode(readsPastScores, forKey: .past)
        try c.encode(readsTestScores, forKey: .test)
        try c.encode(readsTestLabels, forKey: .labels)
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        var s: Set<ScoreSource> = []
        if try c.decodeIfPresent(Bool.self, forKey: .train) ?? false { s.insert(.trainScores) }
        if try c.decodeIfPresent(Bool.self, forKey: .validation) ?? false { s.insert(.validationScores) }
        if try c.decodeIfPresent(Bool.self, forKey: .past) ?? false { s.insert(.pastScores) }
        if try c.decodeIfPresent(Bool.self, forKey: .test) ?? false { s.insert(.testScores) }
        if try c.decodeIfPresent(Bool.self, forKey: .labels) ?? false { s.insert(.testLabels) }
        sources = s
    }
}
