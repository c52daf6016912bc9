// The report of a whole run: `report.md` (tables) and `report.html` (tables and plots, one self-contained file).
import Foundation
import VigilResults

/// Short number text for table headers (`0.99995`, `1e-05`, `99.5`).
enum ConfigValueText {
    static func short(_ v: Double) -> String { "\(v)" }
}

/// Renders a run summary.
public enum RunReport {
    /// Headline keys of the summary tables, with their column titles: threshold-free VUS-PR, PR-AUC and ROC-AUC, then
    /// point-wise F1, precision, recall and alarm rate at the exported (deployable) threshold.
    public static let headline: [(key: String, title: String)] = [
        ("vus_pr", "VUS-PR"), ("pr_auc", "PR-AUC"), ("roc_auc", "ROC-AUC"), ("pw_f1", "F1"), ("pw_precision", "P"),
        ("pw_recall", "R"), ("alarm_rate", "alarm rate"),
    ]
    /// Range-based and affiliation metrics at the exported threshold.
    public static let rangeMetrics: [(key: String, title: String)] = [
        ("range_precision", "range P"), ("range_recall", "range R"), ("range_f1", "range F1"),
        ("affiliation_precision", "affiliation P"), ("affiliation_recall", "affiliation R"), ("affiliation_f1", "affiliation F1"),
    ]
    /// The legacy protocol (point adjustment): overstates accuracy; shown apart.
    public static let legacy: [(key: String, title: String)] = [
        ("pa_f1", "PA-F1"), ("pa_precision", "PA-P"), ("pa_recall", "PA-R"), ("pak_auc", "PA%K AUC (F1)"), ("event_f1", "event F1"),
    ]

    /// `mean ± std` of an aggregate.
    static func meanStd(_ a: Aggregate?) -> String {
        guard let a, let m = a.mean else { return "n/a" }
        return Format.fixed(m, digits: 3) + (a.std.map { " ± " + Format.fixed($0, digits: 3) } ?? "")
    }

    /// `mean ± std [lo, hi]` with the bootstrap 95% interval.
    static func meanStdCI(_ a: Aggregate?) -> String {
        guard let a, a.mean != nil else { return "n/a" }
        return meanStd(a) + (a.ci95.map { " [" + Format.fixed($0[0], digits: 3) + ", " + Format.fixed($0[1], digits: 3) + "]" } ?? "")
    }

    /// A model's per-machine win/tie/loss against every other model on `metric`, as `w/t/l` cells.
    static func wtlMatrix(_ s: RunSummary, metric: String) -> [(model: String, cells: [String])] {
        s.models.map { a in
            (a, s.models.map { b in
                if a == b { return "—" }
                guard let w = s.winTieLoss.first(where: { $0.metric == metric && $0.a == a && $0.b == b }) else { return "n/a" }
                return "\(w.win)/\(w.tie)/\(w.loss)"
            })
        }
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
        out += "\n\nAll numbers are at each model's exported (deployable) threshold, chosen from scores of training rows only (the fitted rows or the held-out validation block), "
        out += "unless the column says ORACLE (chosen on the test labels: an upper bound, never a result). "
        out += "Point adjustment (PA-F1, PA%K) is the legacy protocol and overstates accuracy: it has its own section below."
        if s.seeds > 1 { out += " Stochastic models ran \(s.seeds) seeds per machine; a machine's value is their mean." }
        out += "\n\n## Mean ± std over machines [bootstrap 95% interval]\n\n"
        out += "Per-machine mean: every machine weighs the same. Interval: percentile bootstrap of the mean over machines (10,000 resamples).\n\n"
        out += "| model | n | " + headline.map(\.title).joined(separator: " | ") + " | ORACLE F1 |\n"
        out += "|---|---|" + String(repeating: "---|", count: headline.count + 1) + "\n"
        for m in s.models {
            let agg = s.overMachines[m] ?? [:]
            out += "| \(m) | \(agg["pw_f1"]?.n ?? 0) | " + headline.map { meanStdCI(agg[$0.key]) }.joined(separator: " | ")
            out += " | \(meanStd(s.oracleOverMachines[m]?["pw_f1"])) |\n"
        }
        out += "\n## Pooled over machines\n\nConfusion counts summed over machines (micro average: long machines weigh more); "
        out += "threshold-free metrics of all machines' test scores concatenated (score scales differ between machines).\n\n"
        let pooledKeys: [(String, String)] = [("vus_pr", "VUS-PR"), ("pr_auc", "PR-AUC"), ("roc_auc", "ROC-AUC"), ("pw_f1", "F1"),
                                              ("pw_precision", "P"), ("pw_recall", "R"), ("alarm_rate", "alarm rate")]
        out += "| model | " + pooledKeys.map(\.1).joined(separator: " | ") + " |\n|---|" + String(repeating: "---|", count: pooledKeys.count) + "\n"
        for m in s.models {
            out += "| \(m) | " + pooledKeys.map { Format.fixed(s.pooled[m]?[$0.0] ?? nil, digits: 3) }.joined(separator: " | ") + " |\n"
        }
        out += "\n## Range-based and affiliation metrics (mean ± std over machines)\n\n"
        out += "| model | " + rangeMetrics.map(\.title).joined(separator: " | ") + " |\n|---|" + String(repeating: "---|", count: rangeMetrics.count) + "\n"
        for m in s.models {
            out += "| \(m) | " + rangeMetrics.map { meanStd(s.overMachines[m]?[$0.key]) }.joined(separator: " | ") + " |\n"
        }
        out += "\n## Legacy protocol: point adjustment (overstates accuracy)\n\n"
        out += "| model | " + legacy.map(\.title).joined(separator: " | ") + " | ORACLE PA-F1 |\n|---|" + String(repeating: "---|", count: legacy.count + 1) + "\n"
        for m in s.models {
            out += "| \(m) | " + legacy.map { meanStd(s.overMachines[m]?[$0.key]) }.joined(separator: " | ")
            out += " | \(meanStd(s.oracleOverMachines[m]?["pa_f1"])) |\n"
        }
        for (metric, title) in [("vus_pr", "VUS-PR"), ("pw_f1", "point-wise F1")] {
            out += "\n## Win / tie / loss per machine on \(title) (row vs column)\n\n"
            out += "A machine's interval is its mean ± one standard deviation over seeds (a point for a single run); overlapping intervals tie.\n\n"
            out += "| | " + s.models.joined(separator: " | ") + " |\n|---|" + String(repeating: "---|", count: s.models.count) + "\n"
            for r in wtlMatrix(s, metric: metric) { out += "| \(r.model) | " + r.cells.joined(separator: " | ") + " |\n" }
        }
        if !s.sensitivity.isEmpty {
            out += "\n## Threshold sensitivity (mean over machines: F1 / alarm rate)\n\n"
            for (name, pick) in [("POT level", { (x: SensitivitySummary) in x.potLevel }), ("POT q", { (x: SensitivitySummary) in x.potQ }),
                                 ("percentile", { (x: SensitivitySummary) in x.percentile })] {
                guard let first = s.models.compactMap({ s.sensitivity[$0] }).first else { continue }
                let values = pick(first).map(\.value)
                out += "| \(name) | " + values.map { ConfigValueText.short($0) }.joined(separator: " | ") + " |\n"
                out += "|---|" + String(repeating: "---|", count: values.count) + "\n"
                for m in s.models {
                    guard let sm = s.sensitivity[m] else { continue }
                    out += "| \(m) | " + pick(sm).map { p in
                        p.pwF1 == nil ? "failed" : Format.fixed(p.pwF1, digits: 3) + " / " + Format.fixed(p.alarmRate, digits: 3)
                    }.joined(separator: " | ") + " |\n"
                }
                out += "\n"
            }
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
