// Reports of an evaluation: a JSON document with every number and a Markdown summary for people.
import Foundation
import VigilData
import VigilMetrics
import VigilScores
import VigilThresholds

/// The JSON report of one evaluation run (`report.json`).
public struct EvaluationReport: Codable, Sendable {
    /// Dataset facts; the source hashes identify exactly which files were evaluated.
    public struct DatasetInfo: Codable, Sendable {
        public var name: String
        public var trainRows: Int
        public var testRows: Int
        public var dimensions: Int
        public var anomalousTestPoints: Int
        public var sourceSHA256: [String: String]
        enum CodingKeys: String, CodingKey {
            case name, dimensions
            case trainRows = "train_rows", testRows = "test_rows"
            case anomalousTestPoints = "anomalous_test_points", sourceSHA256 = "source_sha256"
        }
    }
    /// One model's results.
    public struct ModelSection: Codable, Sendable {
        public var model: String
        public var provenance: [String: String]
        public var trainingLog: [String]
        public var fitSeconds: Double
        public var scoreSeconds: Double
        /// The deployable POT calibration (SPOT initialisation, γ, σ, threshold) on train scores.
        public var potTrain: POTCalibration?
        public var calibrationFailures: [String: String]
        public var metrics: [MetricsReport]
        enum CodingKeys: String, CodingKey {
            case model, provenance, metrics
            case trainingLog = "training_log", fitSeconds = "fit_seconds", scoreSeconds = "score_seconds"
            case potTrain = "pot_train", calibrationFailures = "calibration_failures"
        }
    }
    public var vigilVersion: String
    public var created: String
    public var command: String
    public var dataset: DatasetInfo
    public var models: [ModelSection]
    /// Plain statement of which numbers used test data to pick a threshold.
    public var honesty: String

    enum CodingKeys: String, CodingKey {
        case created, command, dataset, models, honesty
        case vigilVersion = "vigil_version"
    }

    /// Assembles the report from per-detector results.
    public init(dataset ds: AnomalyDataset, results: [DetectorResult], vigilVersion: String, command: String) {
        self.vigilVersion = vigilVersion
        self.created = ISO8601DateFormatter().string(from: Date())
        self.command = command
        self.dataset = DatasetInfo(name: ds.name, trainRows: ds.train.rows, testRows: ds.test.rows, dimensions: ds.dimensions,
                                   anomalousTestPoints: ds.labels.reduce(0) { $0 + Int($1) }, sourceSHA256: ds.sourceSHA256)
        self.models = results.map {
            ModelSection(model: $0.model, provenance: $0.provenance, trainingLog: $0.trainingLog, fitSeconds: $0.fitSeconds,
                         scoreSeconds: $0.scoreSeconds, potTrain: $0.pot, calibrationFailures: $0.calibrationFailures,
                         metrics: $0.reports)
        }
        self.honesty = "pot_train and percentile_train_* read training scores only (deployable). pot_stream_* is the "
            + "reference protocol: it streams TEST scores (no labels). best_f1_ORACLE_* picks the threshold with TEST LABELS "
            + "and is an upper bound, never a result. Threshold-free metrics (ROC-AUC, PR-AUC, root cause) use no threshold."
    }

    /// Pretty, key-sorted JSON.
    public func jsonData() throws -> Data {
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try enc.encode(self)
    }

    /// The Markdown summary (`report.md`).
    public func markdown() -> String {
        var s = "# Vigil evaluation: \(dataset.name)\n\n"
        s += "- created: \(created) by vigil \(vigilVersion)\n- command: `\(command)`\n"
        s += "- data: \(dataset.trainRows) train rows, \(dataset.testRows) test rows, \(dataset.dimensions) dimensions, "
        s += "\(dataset.anomalousTestPoints) anomalous test points\n\n"
        s += "> \(honesty)\n\n"
        for m in models {
            s += "## \(m.model)\n\n"
            s += m.provenance.sorted { $0.key < $1.key }.map { "`\($0.key)=\($0.value)`" }.joined(separator: " ") + "\n\n"
            s += String(format: "fit %.2f s, scoring train+test %.2f s\n\n", m.fitSeconds, m.scoreSeconds)
            if !m.trainingLog.isEmpty { s += "```\n" + m.trainingLog.joined(separator: "\n") + "\n```\n\n" }
            if let p = m.potTrain {
                s += String(format: "Deployable POT on train scores: threshold %.6g (initial %.6g, level %.6g after %d attempt(s), γ %.4g, σ %.4g)\n\n",
                            p.threshold, p.initialisation.initialThreshold, p.initialisation.level, p.attempts,
                            p.initialisation.fit.gamma, p.initialisation.fit.sigma)
            }
            s += Evaluation.markdownTable(m.metrics) + "\n"
            for (k, v) in m.calibrationFailures.sorted(by: { $0.key < $1.key }) { s += "- calibration `\(k)` failed: \(v)\n" }
            s += "\n"
        }
        return s
    }
}
