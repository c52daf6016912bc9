// The layout of a run directory, in one place: every writer and reader asks here for a path.
//
//   DIR/run.json                    the run: config sha256, resolved config, machines requested (written first)
//   DIR/config.yaml                 the resolved config (every key, with where it was set)
//   DIR/<machine>/                  published whole when the machine is complete:
//       metrics.json                deterministic results (MachineMetrics)
//       provenance.json             timings, memory, environment, input hashes (MachineProvenance)
//       loss.csv                    training loss per batch
//       labels.h5                   test labels (and per-dimension labels) the metrics were computed with
//       scores/<model>.h5           train and test scores (ScoreSet), for re-evaluation
//       export/<model>/             serving bundle
//       report.md                   the machine's report
//   DIR/logs/<machine>.log          standard error of a unit run in a child process
//   DIR/summary.json, report.md, report.html    over all complete machines
import Foundation

/// Paths inside a run directory.
public struct RunLayout: Sendable, Equatable {
    public let root: String
    public init(root: String) { self.root = root }

    private func join(_ parts: String...) -> String {
        parts.reduce(root) { ($0 as NSString).appendingPathComponent($1) }
    }

    public var runManifest: String { join("run.json") }
    public var resolvedConfig: String { join("config.yaml") }
    public var summary: String { join("summary.json") }
    public var reportMarkdown: String { join("report.md") }
    public var reportHTML: String { join("report.html") }
    public var logs: String { join("logs") }
    public func log(_ unit: String) -> String { join("logs", unit + ".log") }
    public func machine(_ name: String) -> String { join(name) }

    /// Files of one machine directory (relative names; join with `machine(_:)` or a staging directory).
    public enum MachineFile {
        public static let metrics = "metrics.json"
        public static let provenance = "provenance.json"
        public static let loss = "loss.csv"
        public static let labels = "labels.h5"
        public static let report = "report.md"
        /// Scores of a model; repeat k ≥ 1 of a seeded model in `scores/<model>.seed<k>.h5`.
        public static func scores(_ model: String, repeat k: Int = 0) -> String {
            k == 0 ? "scores/\(model).h5" : "scores/\(model).seed\(k).h5"
        }
        public static func export(_ model: String) -> String { "export/\(model)" }
    }

    /// A complete machine: its directory holds metrics.json (directories are published whole, so this is enough).
    public func isComplete(_ name: String) -> Bool {
        FileManager.default.fileExists(atPath: (machine(name) as NSString).appendingPathComponent(MachineFile.metrics))
    }

    /// Names of the complete machine directories, sorted.
    public func completeMachines() -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        return names.filter { !$0.hasPrefix(".") && $0 != "logs" && isComplete($0) }.sorted(by: naturalOrder)
    }
}
