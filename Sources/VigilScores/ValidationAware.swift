// Detectors that use the clean validation block (held-out training rows after the fitted rows) while fitting:
// TranAD's early stopping and the ensemble's member statistics. They read training data only.
import Foundation
import VigilData

/// A detector whose fit can use the clean validation block that follows its fitting rows.
public protocol ValidationAwareDetector: AnomalyDetector {
    /// Fits on `train` (rows × F); `validation` (V × F, nil without a block) is the clean block that follows them in
    /// time and is never fitted on.
    func fit(_ train: DataMatrix, validation: DataMatrix?, progress: ((String) -> Void)?) throws
}

extension AnomalyDetector {
    /// Fits with the validation block when the detector uses one, else on `train` alone.
    public func fitUsingValidation(_ train: DataMatrix, validation: DataMatrix?, progress: ((String) -> Void)?) throws {
        if let v = self as? ValidationAwareDetector { try v.fit(train, validation: validation, progress: progress) } else {
            try fit(train, progress: progress)
        }
    }

    /// Scores of the rows of `block` scored as the continuation of `history` (so windowed models see real history
    /// before the block's first row): (block.rows) scores.
    public func score(_ block: DataMatrix, after history: DataMatrix) throws -> ScoreSet {
        let all = try score(history.appending(block))
        return all.rows(history.rows..<all.rows)
    }
}
