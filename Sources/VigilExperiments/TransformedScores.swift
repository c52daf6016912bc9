// The scores every calibration and metric of a model reads: the stored scores after the config's transform
// (`transform.*`), fitted on training/validation scores only (or, when asked, the test series — then flagged).
import Foundation
import VigilResults
import VigilScores
import VigilTransforms

/// A model's scores after its transform; `state` is nil for the identity (the stored scores as they are).
public struct TransformedScores: Sendable {
    public var state: TransformState?
    /// Fitted rows (a stream from the start of the training data: no causal history before it).
    public var train: ScoreSet
    /// The validation blocks, transformed as the continuation of the fitted rows.
    public var validationClean: ScoreSet?
    public var validationInjected: ScoreSet?
    /// The test series, transformed as the continuation of the training data (causal history from the state).
    public var test: ScoreSet

    /// Fits `settings` on `scores` and applies it to every part.
    public init(_ scores: StoredScores, settings: TransformSettings) throws {
        guard !settings.isIdentity else {
            state = nil
            train = scores.train; validationClean = scores.validationClean; validationInjected = scores.validationInjected; test = scores.test
            return
        }
        let st = try TransformState.fit(settings, train: scores.train, validation: scores.validationClean,
                                        test: settings.statistics == .test ? scores.test : nil)
        state = st
        train = try st.apply(scores.train, seeded: false)
        validationClean = try scores.validationClean.map { try st.apply($0, after: scores.train) }
        validationInjected = try scores.validationInjected.map { try st.apply($0, after: scores.train) }
        test = try st.apply(scores.test, seeded: true)
    }
}
