// A complete evaluation run on disk: scores, reports and serving bundles under one output directory, built in a
// staging directory and published whole.
import Foundation
import VigilData
import VigilHDF5
import VigilIO
import VigilMetrics
import VigilScores
import VigilThresholds

/// Runs detectors on a dataset and writes `<out>/report.{json,md}`, `<out>/scores/<model>.h5` and
/// `<out>/export/<model>/…`. The run is built in a `StagingDirectory` and published when complete, so `<out>` holds
/// the previous run or the new one, never a mix; a failed model does not stop the others.
public enum EvaluationRunner {
    /// What a run directory holds; an existing output directory is replaced only if it holds nothing else.
    public static let runEntries: Set<String> = ["report.json", "report.md", "scores", "export"]

    /// nil when the existing directory at `path` may be replaced by a new run (empty, or only run entries and
    /// Vigil's temporary siblings), otherwise the reason it may not.
    public static func replaceRefusal(_ path: String) -> String? {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: path) else { return "it cannot be listed" }
        let foreign = names.filter { !runEntries.contains($0) && TemporaryName.parse($0) == nil }.sorted()
        if foreign.isEmpty { return nil }
        return "it holds files that are not from a Vigil run (\(foreign.prefix(5).joined(separator: ", "))\(foreign.count > 5 ? ", …" : ""))"
    }

    /// The staging directory of a run into `out`: created now, so an output directory that may not be replaced
    /// is refused before any work.
    public static func stage(_ out: String) throws -> StagingDirectory {
        try StagingDirectory(destination: out, replace: .unless(replaceRefusal))
    }

    /// Runs into a new staging directory for `out` and publishes it (see `run(…, staging:)`).
    public static func run(dataset: AnomalyDataset, detectors: [AnomalyDetector], plan: EvaluationPlan,
                           outputDirectory out: String, vigilVersion: String, command: String,
                           log: @escaping (String) -> Void) throws -> Outcome {
        try run(dataset: dataset, detectors: detectors, plan: plan, staging: try stage(out), vigilVersion: vigilVersion,
                command: command, log: log)
    }

    /// Outcome of a run: the report and the files written.
    public struct Outcome: Sendable {
        public var report: EvaluationReport
        public var files: [String]
        public var failures: [String: String]
    }

    /// Fits, scores and evaluates every detector, writes everything into `staging`, then publishes it; `files` in the
    /// outcome are the published paths.
    public static func run(dataset: AnomalyDataset, detectors: [AnomalyDetector], plan: EvaluationPlan,
                           staging: StagingDirectory, vigilVersion: String, command: String,
                           log: @escaping (String) -> Void) throws -> Outcome {
        let fm = FileManager.default
        let out = staging.path
        do { try fm.createDirectory(atPath: out + "/scores", withIntermediateDirectories: true) } catch {
            throw FileError.wrap(error, operation: "creating directory", path: staging.displayPath + "/scores")
        }
        var results: [DetectorResult] = []
        var files: [String] = []
        var failures: [String: String] = [:]
        for d in detectors {
            log("\(d.name): fitting on \(dataset.train.rows) × \(dataset.train.cols) training rows")
            do {
                let r = try DatasetEvaluation.evaluate(d, on: dataset, plan: plan, log: log)
                results.append(r)
                let scorePath = out + "/scores/\(d.name).h5"
                try HDF5File.write(to: scorePath) { f in
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
        try AtomicFile.write(try report.jsonData(), to: out + "/report.json")
        var md = report.markdown()
        for (m, e) in failures.sorted(by: { $0.key < $1.key }) { md += "## \(m): FAILED\n\n\(e)\n\n" }
        try AtomicFile.write(md, to: out + "/report.md")
        files += [out + "/report.json", out + "/report.md"]
        try staging.publish()
        let published = files.map { staging.displayPath + $0.dropFirst(out.count) }
        return Outcome(report: report, files: published, failures: failures)
    }
}
