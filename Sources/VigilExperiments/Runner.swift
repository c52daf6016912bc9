// A complete evaluation run on disk: scores, reports and serving bundles under one output directory.
import Foundation
import VigilData
import VigilHDF5
import VigilMetrics
import VigilScores
import VigilThresholds

/// Runs detectors on a dataset and writes `<out>/report.{json,md}`, `<out>/scores/<model>.h5` and
/// `<out>/export/<model>/…`. Each file appears whole or not at all; a failed model does not stop the others.
public enum EvaluationRunner {
    /// Outcome of a run: the report and the files written.
    public struct Outcome: Sendable {
        public var report: EvaluationReport
        public var files: [String]
        public var failures: [String: String]
    }

    public static func run(dataset: AnomalyDataset, detectors: [AnomalyDetector], plan: EvaluationPlan,
                           outputDirectory out: String, vigilVersion: String, command: String,
                           log: @escaping (String) -> Void) throws -> Outcome {
        let fm = FileManager.default
        try fm.createDirectory(atPath: out + "/scores", withIntermediateDirectories: true)
        var results: [DetectorResult] = []
        var files: [String] = []
        var failures: [String: String] = [:]
        for d in detectors {
            log("\(d.name): fitting on \(dataset.train.rows) × \(dataset.train.cols) training rows")
            do {
                let r = try DatasetEvaluation.evaluate(d, on: dataset, plan: plan, log: log)
                results.append(r)
                let scorePath = out + "/scores/\(d.name).h5"
                try Exporter.atomically(scorePath) { tmp in
                    let f = try HDF5File(path: tmp, mode: .truncate)
                    defer { f.close() }
                    try r.trainScores.write(to: f, group: "train")
                    try r.testScores.write(to: f, group: "test")
                }
                files.append(scorePath)
                guard let exported = r.reports.first(where: { $0.thresholdSelection.method == plan.exportedCalibration.name }) else {
                    throw EvaluationError.exportThresholdUnavailable(
                        model: d.name, reason: r.calibrationFailures[plan.exportedCalibration.name] ?? "not computed")
                }
                var potParameters: POTParameters? = nil
                if case let .pot(p) = plan.exportedCalibration { potParameters = p }
                files += try Exporter.export(d, dataset: dataset, threshold: exported.thresholdSelection,
                                             pot: potParameters, to: out + "/export/\(d.name)")
            } catch {
                failures[d.name] = String(describing: error)
                log("\(d.name): FAILED: \(error)")
            }
        }
        let report = EvaluationReport(dataset: dataset, results: results, vigilVersion: vigilVersion, command: command)
        try report.jsonData().write(to: URL(fileURLWithPath: out + "/report.json"), options: .atomic)
        var md = report.markdown()
        for (m, e) in failures.sorted(by: { $0.key < $1.key }) { md += "## \(m): FAILED\n\n\(e)\n\n" }
        try Data(md.utf8).write(to: URL(fileURLWithPath: out + "/report.md"), options: .atomic)
        files += [out + "/report.json", out + "/report.md"]
        return Outcome(report: report, files: files, failures: failures)
    }
}
