// What `vigil sweep collect` computes from complete trials: the leaderboard and the choices of a config.
import Foundation

/// The choices and the leaderboard of a sweep.
public struct SweepSelection: Codable, Equatable, Sendable {
    /// The test metric the ORACLE maximises (the report's headline metric).
    public static let oracleMetric = "vus_pr"

    /// One chosen configuration and what it scored.
    public struct Choice: Codable, Equatable, Sendable {
        public var point: Int
        public var swept: [String: JSONValue]
        /// Selection score (validation) of the choice; for the overall choice, the mean over machines.
        public var selectionScore: Double?
        /// Test metrics of the choice; for the overall choice, means over machines.
        public var test: [String: Double?]
        public init(point: Int, swept: [String: JSONValue], selectionScore: Double?, test: [String: Double?]) {
            self.point = point; self.swept = swept; self.selectionScore = selectionScore; self.test = test
        }
        enum CodingKeys: String, CodingKey { case point, swept, test; case selectionScore = "selection_score" }
    }
    /// The honest and the ORACLE choice on one machine (or overall).
    public struct Pair: Codable, Equatable, Sendable {
        public var machine: String
        /// Chosen by the validation selection score (no test data read).
        public var selected: Choice
        /// Chosen by the test labels (`oracle_metric` on test): an upper bound, never a result.
        public var oracle: Choice
        /// Spearman rank correlation between selection score and the test `oracle_metric` over this machine's trials
        /// (does validation predict test?); nil with fewer than 3 trials.
        public var spearman: Double?
        public init(machine: String, selected: Choice, oracle: Choice, spearman: Double?) {
            self.machine = machine; self.selected = selected; self.oracle = oracle; self.spearman = spearman
        }
        enum CodingKeys: String, CodingKey { case machine, selected, spearman; case oracle = "ORACLE" }
    }
    public struct ModelSelection: Codable, Equatable, Sendable {
        public var model: String
        public var perMachine: [Pair]
        /// The point with the best mean selection score over the machines where every point is complete.
        public var overall: Pair?
        /// Means over machines of the per-machine choices' test metrics.
        public var perMachineSelectedMean: [String: Double?]
        public var perMachineOracleMean: [String: Double?]
        public init(model: String, perMachine: [Pair], overall: Pair?, perMachineSelectedMean: [String: Double?],
                    perMachineOracleMean: [String: Double?]) {
            self.model = model; self.perMachine = perMachine; self.overall = overall
            self.perMachineSelectedMean = perMachineSelectedMean; self.perMachineOracleMean = perMachineOracleMean
        }
        enum CodingKeys: String, CodingKey {
            case model, overall
            case perMachine = "per_machine", perMachineSelectedMean = "per_machine_selected_mean", perMachineOracleMean = "per_machine_ORACLE_mean"
        }
    }

    public var selection: String
    public var oracleMetricName: String
    public var completeTrials: Int
    public var totalTrials: Int
    public var models: [ModelSelection]

    public init(selection: String, oracleMetricName: String, completeTrials: Int, totalTrials: Int, models: [ModelSelection]) {
        self.selection = selection; self.oracleMetricName = oracleMetricName; self.completeTrials = completeTrials
        self.totalTrials = totalTrials; self.models = models
    }

    enum CodingKeys: String, CodingKey {
        case selection, models
        case oracleMetricName = "ORACLE_metric", completeTrials = "complete_trials", totalTrials = "total_trials"
    }
}


/// One row per (complete trial, model): the swept values, the validation selection score and the test metrics.
public struct Leaderboard: Sendable {
    public struct Row: Sendable {
        public var trial: String
        public var index: Int
        public var machine: String
        public var point: Int
        public var model: String
        public var swept: [String: JSONValue]
        public var selectionScore: Double?
        public var validation: ValidationMetrics?
        public var test: [String: Double?]
        public var oracle: OracleBound?
        public var failure: String?
    }

    public var sweptKeys: [String]
    public var rows: [Row]
    /// Test metric columns, in report order.
    public static let testKeys = ["vus_pr", "pr_auc", "roc_auc", "pw_f1", "pw_precision", "pw_recall", "alarm_rate", "range_f1",
                                  "affiliation_f1", "pa_f1"]

    public init(plan: SweepPlan, results: [Int: TrialResult]) {
        sweptKeys = plan.sweptKeys
        var rows: [Row] = []
        for t in plan.trials {
            guard let r = results[t.index] else { continue }
            for model in plan.models {
                let m = r.models[model]
                rows.append(Row(trial: t.id, index: t.index, machine: t.machine, point: t.point, model: model, swept: r.swept,
                                selectionScore: m?.selectionScore, validation: m?.validation, test: m?.test ?? [:], oracle: m?.oracle,
                                failure: m == nil ? (r.failures[model] ?? "no result") : nil))
            }
        }
        self.rows = rows
    }

    /// A swept value as text (`0.001`, `[mean, std]`).
    public static func text(_ v: JSONValue?) -> String {
        switch v {
        case .none, .some(.null): return ""
        case .some(.bool(let b)): return b ? "true" : "false"
        case .some(.int(let i)): return String(i)
        case .some(.double(let d)): return "\(d)"
        case .some(.string(let s)): return s
        case .some(.array(let a)): return "[" + a.map { text($0) }.joined(separator: ", ") + "]"
        case .some(.object): return "{…}"
        }
    }

    /// `leaderboard.csv`: trial, machine, point, model, every swept key, selection_score, validation_loss, validation
    /// VUS-PR / ROC-AUC, then every test metric and the ORACLE F1 (empty cells for undefined values).
    public var csv: String {
        func q(_ s: String) -> String { s.contains(",") || s.contains("\"") ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s }
        func n(_ x: Double?) -> String { x.map { "\($0)" } ?? "" }
        var out = (["trial", "machine", "point", "model"] + sweptKeys + ["selection_score", "validation_loss", "validation_vus_pr",
                   "validation_roc_auc"] + Leaderboard.testKeys.map { "test_" + $0 } + ["ORACLE_pw_f1", "failure"]).map(q).joined(separator: ",") + "\n"
        for r in rows {
            var cells = [r.trial, r.machine, String(r.point), r.model] + sweptKeys.map { Leaderboard.text(r.swept[$0]) }
            cells += [n(r.selectionScore), n(r.validation?.loss), n(r.validation?.vusPR), n(r.validation?.rocAUC)]
            cells += Leaderboard.testKeys.map { n(r.test[$0] ?? nil) }
            cells += [n(r.oracle?.pwF1), r.failure ?? ""]
            out += cells.map(q).joined(separator: ",") + "\n"
        }
        return out
    }
}
