// `untrained_tranad`: TranAD at its initial weights, the "architecture without learning" sanity baseline.
import Foundation
import VigilData
import VigilTranAD

/// TranAD scored at its seeded initial weights, never trained.
///
/// Fit builds `TranADTrainer(features: F, config:, workers:)` — PyTorch-default initialisation drawn from
/// `config.seed` — and trains nothing: it reads the training column count only. Scores are TranAD's own
/// (`TranADTrainer.score`): per-dimension s_d per `config.scoring` (default (x2_d − x_d)², the phase-2
/// reconstruction error of the row's window), aggregate (1/D)·Σ_d s_d, exactly as the trained model is scored,
/// so the gap between the two is what training adds. `config.epochs` is ignored.
///
/// Stored with its weights (not just the seed), so a saved model re-scores to the same values even if the
/// initialisation code changes later.
public struct UntrainedTranADBaseline: BaselineModel {
    public static let key = "untrained_tranad"
    public static let format = "vigil-baseline-untrained-tranad"
    public static let formatVersion = 1
    public static let aggregateRule = "mean over the F per-dimension TranAD scores (initial weights)"
    public static let fitReads = "train column count"

    /// TranAD configuration (window, alignment, scoring, precision, seed, …) and worker threads.
    public struct Configuration: Sendable {
        public var tranad: TranADConfig
        /// Scoring threads (default: every core); scores do not depend on it.
        public var workers: Int?
        public init(tranad: TranADConfig = TranADConfig(), workers: Int? = nil) {
            self.tranad = tranad
            self.workers = workers
        }
    }

    public let configuration: Configuration
    public let features: Int
    /// The untrained model.
    public let trainer: TranADTrainer

    public var provenance: [String: String] {
        let c = configuration.tranad
        return ["model": Self.key, "window": String(c.window), "alignment": c.alignment.rawValue,
                "scoring": c.scoring.rawValue, "activation": c.activation.rawValue, "precision": c.precision.rawValue,
                "seed": String(c.seed), "epochs": "0", "fit_reads": Self.fitReads, "aggregate": Self.aggregateRule]
    }

    public init(fitting train: DataMatrix, configuration: Configuration = Configuration()) throws {
        guard train.cols > 0 else { throw BaselineError.emptyTraining(model: Self.key) }
        let c = configuration.tranad
        guard c.window >= 1 else {
            throw BaselineError.invalidParameter(model: Self.key, name: "window", value: "\(c.window)", allowed: "window ≥ 1")
        }
        if let w = configuration.workers, w < 1 {
            throw BaselineError.invalidParameter(model: Self.key, name: "workers", value: "\(w)", allowed: "at least 1")
        }
        self.init(configuration: configuration, trainer: try TranADTrainer(features: train.cols, config: c, workers: configuration.workers))
    }

    init(configuration: Configuration, trainer: TranADTrainer) {
        self.configuration = configuration
        self.features = trainer.features
        self.trainer = trainer
    }

    public func score(_ x: DataMatrix) throws -> BaselineScores {
        try checkScoring(x, features: features, model: Self.key)
        guard x.rows > 0 else { return BaselineScores(meanOf: [], rows: 0, dims: features) }
        let m = try trainer.score(x)
        return BaselineScores(meanOf: m.values, rows: m.rows, dims: m.cols)
    }
}
