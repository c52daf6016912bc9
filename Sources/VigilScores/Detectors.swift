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
    /// Early stopping on the validation loss (used by `fit(_:validation:progress:)` when a validation block is given).
    public var earlyStopping: TranADEarlyStopping?
    /// What early stopping did in the last fit (nil without it).
    public private(set) var stopped: TranADEarlyStopping.Outcome?

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
        if let o = stopped {
            p["early_stopping"] = "patience \(earlyStopping?.patience ?? 0), min_delta \(earlyStopping?.minDelta ?? 0): trained \(o.epochsTrained) of \(config.epochs) epochs, kept epoch \(o.bestEpoch) (validation loss \(o.bestLoss))"
            p["epochs_trained"] = String(o.epochsTrained)
            p["best_epoch"] = String(o.bestEpoch)
        }
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

/// Early stopping of TranAD on the validation loss: after every epoch, the loss L_e is the mean per-dimension score
/// (the configured scoring mode) of the clean validation block, scored as the continuation of the fitted rows. An
/// epoch improves when L_e < (1 − minDelta) · min_{e' < e} L_e'; training stops after `patience` epochs without
/// improvement (or at `config.epochs`) and the weights of the best epoch are kept. Reads training rows only.
public struct TranADEarlyStopping: Equatable, Sendable {
    public var patience: Int
    public var minDelta: Double

    public init(patience: Int, minDelta: Double = 0) { self.patience = patience; self.minDelta = minDelta }

    /// What a fit did.
    public struct Outcome: Equatable, Sendable {
        public var epochsTrained: Int
        public var bestEpoch: Int
        public var bestLoss: Double
        /// L_e of every trained epoch.
        public var losses: [Double]
    }
}

extension TranADDetector: ValidationAwareDetector {
    /// Without early stopping or a validation block: `fit(train)`. With both: trains epoch by epoch (at most
    /// `config.epochs`), stops per `earlyStopping` and keeps the best epoch's weights (see `TranADEarlyStopping`).
    public func fit(_ train: DataMatrix, validation: DataMatrix?, progress: ((String) -> Void)?) throws {
        stopped = nil
        guard let es = earlyStopping, es.patience > 0, let v = validation, v.rows > 0 else { return try fit(train, progress: progress) }
        let t = try TranADTrainer(features: train.cols, config: config, workers: workers)
        trainer = t
        let history = train.rows(max(0, train.rows - config.window)..<train.rows)
        var best = Double.infinity, bestEpoch = 0, since = 0
        var bestParameters: [String: [Double]] = [:]
        var losses: [Double] = []
        for epoch in 1...config.epochs {
            let r = try t.trainEpoch(on: train, progress: batchProgress)
            let s = try t.score(history.appending(v))
            var sum = 0.0
            for x in s.values[(history.rows * s.cols)...] { sum += x }
            let loss = sum / Double(v.rows * s.cols)
            losses.append(loss)
            progress?(String(format: "tranad epoch %d: loss %.6g, validation loss %.6g, lr %.3g, %.2f s", r.epoch, r.meanLoss, loss, r.learningRate, r.seconds))
            if loss < best * (1 - es.minDelta) {
                best = loss; bestEpoch = epoch; since = 0
                bestParameters = Dictionary(uniqueKeysWithValues: t.exportParameters().map { ($0.name, $0.values) })
            } else {
                since += 1
                if since >= es.patience { break }
            }
        }
        if bestEpoch < losses.count { try t.loadParameters(bestParameters) }
        stopped = TranADEarlyStopping.Outcome(epochsTrained: losses.count, bestEpoch: bestEpoch, bestLoss: best, losses: losses)
        progress?("tranad early stopping: trained \(losses.count) of \(config.epochs) epochs, kept epoch \(bestEpoch)")
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
