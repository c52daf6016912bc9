// From a config's model names to detectors: the one place a model kind becomes an `AnomalyDetector`.
import Foundation
import VigilConfig
import VigilScores
import VigilTranAD

/// Builds the detectors a config names.
public enum DetectorFactory {
    /// A fresh (unfitted) detector of `kind` with the config's settings on `threads` worker threads. `events` receives
    /// TranAD's per-batch progress as `fit <model>` progress of `unit`; `losses` collects its per-batch losses.
    public static func make(_ kind: ModelKind, config: ExperimentConfig, threads: Int, unit: String = "",
                            events: UnitEventSink = SilentUnitEvents(), losses: LossLog? = nil) -> AnomalyDetector {
        switch kind {
        case .tranad:
            let d = TranADDetector(config: config.tranad, workers: threads)
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
        }
    }
}

/// Per-batch training losses of the models of one unit, written as `loss.csv`.
public final class LossLog: @unchecked Sendable {
    private let lock = NSLock()
    private var rows: [String] = []
    public init() {}

    /// Records one batch of `model`.
    public func record(model: String, progress p: TranADProgress) {
        let line = "\(model),\(p.epoch),\(p.batch),\(p.batchLoss),\(p.meanLoss),\(p.learningRate)"
        lock.lock(); rows.append(line); lock.unlock()
    }

    /// `model,epoch,batch,batch_loss,epoch_mean_loss,learning_rate` (epoch_mean_loss: running mean over the epoch's
    /// batches so far; at the epoch's last batch it is the epoch loss).
    public var csv: String {
        lock.lock(); defer { lock.unlock() }
        return (["model,epoch,batch,batch_loss,epoch_mean_loss,learning_rate"] + rows).joined(separator: "\n") + "\n"
    }
}
