// Every model reaches the threshold and metrics stages through the same door: fit on a training matrix,
// then `score` any matrix into a `ScoreSet`. Nothing here reads labels.
import Foundation
import VigilData
import VigilIsolationForest
import VigilTranAD

/// A trainable anomaly detector: `fit` on train rows (T, F), then `score` gives a `ScoreSet` per matrix.
public protocol AnomalyDetector: AnyObject {
    /// Short model name used in reports and file names (`tranad`, `iforest`).
    var name: String { get }
    /// How the detector was configured (printed in reports, stored with scores).
    var provenance: [String: String] { get }
    /// Fits on a (T, F) training matrix; `progress` receives human-readable status lines.
    func fit(_ train: DataMatrix, progress: ((String) -> Void)?) throws
    /// Scores every row of a (T, F) matrix; higher = more anomalous.
    func score(_ x: DataMatrix) throws -> ScoreSet
}

/// TranAD behind the detector interface: per-dimension reconstruction errors as scores.
public final class TranADDetector: AnomalyDetector {
    public let name = "tranad"
    /// The model and its training state.
    public private(set) var trainer: TranADTrainer?
    /// The configuration every fit uses.
    public let config: TranADConfig
    /// Worker threads for training and scoring (fixed ⇒ reproducible).
    public let workers: Int?
    /// Called after every batch while training (for progress bars).
    public var batchProgress: ((TranADProgress) -> Void)?

    /// A detector that trains a fresh TranAD with `config` on `fit`.
    public init(config: TranADConfig = TranADConfig(), workers: Int? = nil) {
        self.config = config
        self.workers = workers
    }

    /// Wraps an already trained model (e.g. loaded from a checkpoint).
    public init(trained: TranADTrainer) {
        self.trainer = trained
        self.config = trained.config
        self.workers = trained.workers
    }

    public var provenance: [String: String] {
        var p: [String: String] = [
            "model": "tranad", "window": String(config.window), "alignment": config.alignment.rawValue,
            "scoring": config.scoring.rawValue, "activation": config.activation.rawValue,
            "loss_weighting": config.lossWeighting.name, "precision": config.precision.rawValue,
            "epochs": String(config.epochs), "batch_size": String(config.batchSize), "seed": String(config.seed),
        ]
        if let t = trainer { p["workers"] = String(t.workers) }
        return p
    }

    public func fit(_ train: DataMatrix, progress: ((String) -> Void)?) throws {
        let t = try TranADTrainer(features: train.cols, config: config, workers: workers)
        trainer = t
        let reports = try t.train(on: train,
                                  progress: batchProgress)
        for r in reports {
            progress?(String(format: "tranad epoch %d: loss %.6g, lr %.3g, %.2f s", r.epoch, r.meanLoss, r.learningRate, r.seconds))
        }
    }

    public func score(_ x: DataMatrix) throws -> ScoreSet {
        guard let t = trainer else { throw DetectorError.notFitted(name) }
        let m = try t.score(x)
        return ScoreSet(model: name, perDimension: m.values, rows: m.rows, dims: m.cols, provenance: provenance)
    }
}

/// Isolation Forest (with optional feature engineering) behind the detector interface: one score per row.
public final class IsolationForestAnomalyDetector: AnomalyDetector {
    public let name = "iforest"
    /// The fitted detector (transform + forest), nil before `fit`.
    public private(set) var detector: IsolationForestDetector?
    /// Forest settings (trees, samples, seed, contamination).
    public let configuration: IsolationForest.Configuration
    /// Feature engineering applied identically at fit and score time.
    public let engineering: FeatureEngineering
    /// Threads for fitting (over trees) and scoring (over rows); nil = all cores. Results do not depend on it.
    public let parallelism: Int?

    /// A detector that fits a forest with these settings on `fit`.
    public init(configuration: IsolationForest.Configuration = .init(), engineering: FeatureEngineering = FeatureEngineering(),
                parallelism: Int? = nil) {
        self.configuration = configuration
        self.engineering = engineering
        self.parallelism = parallelism
    }

    /// Wraps an already fitted detector (e.g. read back from HDF5).
    public init(fitted: IsolationForestDetector) {
        self.detector = fitted
        self.configuration = .init()
        self.engineering = fitted.transform.engineering
        self.parallelism = nil
    }

    public var provenance: [String: String] {
        ["model": "iforest", "n_estimators": String(configuration.nEstimators), "seed": String(configuration.seed),
         "feature_engineering": engineering.isIdentity ? "none" : String(describing: engineering)]
    }

    public func fit(_ train: DataMatrix, progress: ((String) -> Void)?) throws {
        let start = Date()
        detector = try IsolationForestDetector(fitting: try FeatureMatrix(rows: train.rows, cols: train.cols, values: train.values),
                                               engineering: engineering, configuration: configuration,
                                               parallelism: parallelism)
        progress?(String(format: "iforest: %d trees fitted in %.2f s", configuration.nEstimators, Date().timeIntervalSince(start)))
    }

    public func score(_ x: DataMatrix) throws -> ScoreSet {
        guard let d = detector else { throw DetectorError.notFitted(name) }
        let s = try d.scores(try FeatureMatrix(rows: x.rows, cols: x.cols, values: x.values), parallelism: parallelism)
        return ScoreSet(model: name, aggregate: s, provenance: provenance)
    }
}

/// Errors of the detector layer.
public enum DetectorError: Error, CustomStringConvertible, Equatable {
    /// `score` was called before `fit`.
    case notFitted(String)

    public var description: String {
        switch self {
        case .notFitted(let m): return "\(m): score called before fit; fit the detector on training data first"
        }
    }
}
