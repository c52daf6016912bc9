// The report of a whole run: `report.md` (tables) and `report.html` (tables and plots, one self-contained file).
import Foundation
import VigilResults

/// Renders a run summary.
public enum RunReport {
    /// Headline keys of the summary tables, with their column titles.
    public static let headline: [(key: String, title: String)] = [
        ("pw_f1", "F1"), ("pw_precision", "P"), ("pw_recall", "R"), ("roc_auc", "ROC-AUC"), ("pr_auc", "PR-AUC"),
        ("alarm_rate", "alarm rate"), ("pa_f1", "PA-F1 (legacy)"),
    ]

    /// `mean ± std` of an aggregate.
    static func meanStd(_ a: Aggregate?) -> String {
        guard let a, let m = a.mean else { return "n/a" }
        return Format.fixed(m, digits: 3) + (a.std.map { " ± " + Format.fixed($0, digits: 3) } ?? "")
    }

    public static func markdown(_ s: RunSummary) -> String {
        var out = "# Vigil run report\n\n"
        out += "- config sha256: `\(s.configSHA256)`, seed \(s.seed)\n"
        out += "- machines: \(s.machines.count) complete"
        if !s.incomplete.isEmpty { out += ", \(s.incomplete.count) incomplete (\(s.incomplete.keys.sorted().joined(separator: ", ")))" }
        out += "\n"
        if let e = s.environment {
            out += "- vigil \(e.vigilVersion), commit `\(e.gitCommit)`\(e.gitDirty == true ? " (dirty)" : ""), Swift \(e.swiftVersion)\n"
            out += "- \(e.cpuModel) (\(e.cores) cores; \(e.cpuFlags.joined(separator: " "))), BLAS: \(e.blas) [core \(e.blasCore)]\n"
        }
        if let w = s.wallSeconds { out += String(format: "- wall time %.1f s", w) }
        if let r = s.peakRSSBytes { out += String(format: ", peak RSS %.0f MB (largest unit)", Double(r) / 1e6) }
        out += "\n\nAll numbers are at each model's exported (deployable) threshold, chosen from training scores only, "
        out += "unless the column says ORACLE (chosen on the test labels: an upper bound, never a result). "
        out += "PA-F1 (point-adjusted) is the legacy protocol and overstates accuracy.\n\n"
        out += "## Mean ± std over machines\n\n"
        out += "| model | n | " + headline.map(\.title).joined(separator: " | ") + " | ORACLE F1 | ORACLE PA-F1 |\n"
        out += "|---|---|" + String(repeating: "---|", count: headline.count + 2) + "\n"
        for m in s.models {
            let agg = s.overMachines[m] ?? [:]
            out += "| \(m) | \(agg["pw_f1"]?.n ?? 0) | " + headline.map { meanStd(agg[$0.key]) }.joined(separator: " | ")
            out += " | \(meanStd(s.oracleOverMachines[m]?["pw_f1"])) | \(meanStd(s.oracleOverMachines[m]?["pa_f1"])) |\n"
        }
        out += "\n## Per machine\n\n"
        out += "| machine | model | " + headline.map(\.title).joined(separator: " | ") + " | ORACLE F1 |\n"
        out += "|---|---|" + String(repeating: "---|", count: headline.count + 1) + "\n"
        for row in s.machines {
            for m in s.models {
                guard let flat = row.models[m] else {
                    out += "| \(row.machine) | \(m) | FAILED: \(row.failures[m] ?? "no result") |\n"
                    continue
                }
                out += "| \(row.machine) | \(m) | " + headline.map { Format.fixed(flat[$0.key] ?? nil, digits: 3) }.joined(separator: " | ")
                out += " | \(Format.fixed(row.oracle[m]?.pwF1, digits: 3)) |\n"
            }
        }
        if !s.incomplete.isEmpty {
            out += "\n## Incomplete\n\n"
            for (m, why) in s.incomplete.sorted(by: { $0.key < $1.key }) { out += "- \(m): \(why)\n" }
        }
        out += "\n## Time and memory\n\n| machine | seconds | peak RSS (MB) |\n|---|---|---|\n"
        for row in s.machines {
            out += "| \(row.machine) | \(Format.fixed(row.seconds, digits: 1)) | \(row.peakRSSBytes.map { String(format: "%.0f", Double($0) / 1e6) } ?? "n/a") |\n"
        }
        if !s.stageSeconds.isEmpty {
            out += "\nStage totals over machines: " + s.stageSeconds.sorted { $0.key < $1.key }.map { "\($0.key) " + String(format: "%.1f s", $0.value) }
                .joined(separator: ", ") + "\n"
        }
        return out
    }

    /// The HTML report (see `HTMLReport`).
    public static func html(_ s: RunSummary, layout: RunLayout) -> String {
        HTMLReport.render(s, layout: layout)
    }
}
