// From a config's model names to detectors: the one place a model kind becomes an `AnomalyDetector`.
import Foundation
import VigilConfig
import VigilResults
import VigilScores
import VigilBaselines
import VigilTranAD
import VigilTransforms

/// Builds the detectors a config names.
public enum DetectorFactory {
    /// A fresh (unfitted) detector of `kind` with the config's settings on `threads` worker threads. `events` receives
    /// TranAD's per-batch progress as `fit <model>` progress of `unit`; `losses` collects its per-batch losses.
    /// `fitted`: detectors of this unit already fitted on the same rows, which an ensemble reuses as members.
    public static func make(_ kind: ModelKind, config: ExperimentConfig, threads: Int, unit: String = "",
                            events: UnitEventSink = SilentUnitEvents(), losses: LossLog? = nil,
                            fitted: [ModelKind: AnomalyDetector] = [:]) -> AnomalyDetector {
        switch kind {
        case .ensemble:
            let members = config.accuracy.ensembleMembers.map { m in
                fitted[m] ?? make(m, config: config, threads: threads, unit: unit, events: events, losses: losses)
            }
            let e = EnsembleDetector(members: members, prefitted: Set(config.accuracy.ensembleMembers.filter { fitted[$0] != nil }.map(\.rawValue)),
                                     combine: config.accuracy.ensembleCombine == .rank ? .rank : .zscore,
                                     onValidation: config.accuracy.ensembleOnValidation)
            let memberTransform = config.accuracy.ensembleMemberTransform
            if !memberTransform.isIdentity {
                e.memberTransform = { train, validation in try TransformState.fit(memberTransform, train: train, validation: validation) }
            }
            return e
        case .tranad:
            let d = TranADDetector(config: config.tranad, workers: threads)
            if config.accuracy.patience > 0 {
                d.earlyStopping = TranADEarlyStopping(patience: config.accuracy.patience, minDelta: config.accuracy.minDelta)
            }
            let stage = "fit \(kind.rawValue)"
            d.batchProgress = { p in
                losses?.record(model: kind.rawValue, progress: p)
                let done = (p.epoch - 1) * p.batches + p.batch
                events.send(UnitEvent(unit: unit, kind: .progress, stage: stage, done: done, total: p.epochs * p.batches,
                                      detail: String(format: "epoch %d/%d loss %.6f", p.epoch, p.epochs, p.meanLoss)))
                if p.batch == p.batches {
                    events.send(UnitEvent(unit: unit, kind: .note, stage: stage,
                                          detail: String(format: "epoch %d/%d: mean loss %.8f, lr %.3g", p.epoch, p.epochs, p.meanLoss, p.learningRate)))
                }
            }
            return d
        case .iforest:
            return IsolationForestAnomalyDetector(configuration: config.iforest, engineering: config.featureEngineering,
                                                  parallelism: threads)
        case .pca:
            return PCADetector(configuration: .init(components: config.pcaComponents.map { .count($0) } ?? .varianceFraction(config.pcaVariance)))
        case .knn:
            return KNNDetector(configuration: .init(k: config.knnK, maxSamples: config.knnSamples, seed: config.seed))
        case .l2Norm:
            return L2NormDetector(configuration: .init())
        case .rangeDeviation:
            return RangeDeviationDetector(configuration: .init())
        case .random:
            return RandomDetector(configuration: .init(seed: config.seed))
        case .untrainedTranAD:
            return UntrainedTranADDetector(configuration: .init(tranad: config.tranad, workers: threads))
        }
    }
}

/// Collects the per-batch training losses of the models of one unit (from any thread) into a `LossTable`.
public final class LossLog: @unchecked Sendable {
    private let lock = NSLock()
    private var table = LossTable()
    public init() {}

    /// Records one batch of `model`.
    public func record(model: String, progress p: TranADProgress) {
        let row = LossTable.Row(model: model, epoch: p.epoch, batch: p.batch, batchLoss: p.batchLoss, epochMean: p.meanLoss,
                                learningRate: p.learningRate)
        lock.lock(); table.rows.append(row); lock.unlock()
    }

    /// The `loss.csv` text.
    public var csv: String {
        lock.lock(); defer { lock.unlock() }
        return table.csv
    }
}
