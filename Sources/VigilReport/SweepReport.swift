// The report of a sweep: the honest choice beside the ORACLE choice, the leaderboard, and whether the validation
// selection score predicts the test metric (a scatter plot per model).
import Foundation
import VigilResults

/// Renders sweep leaderboards and selections.
public enum SweepReport {
    static func swept(_ s: [String: JSONValue], keys: [String]) -> String {
        keys.map { "\($0)=\(Leaderboard.text(s[$0]))" }.joined(separator: " ")
    }

    /// `leaderboard.md`: the choices (validation-selected and ORACLE) per model, then every trial.
    public static func markdown(plan: SweepPlan, board: Leaderboard, selection: SweepSelection) -> String {
        let metric = selection.oracleMetricName
        var s = "# Sweep leaderboard\n\n"
        s += "- \(selection.completeTrials) of \(selection.totalTrials) trials complete; swept: \(plan.sweptKeys.joined(separator: ", "))\n"
        s += "- selection without test labels: `\(selection.selection)` on each trial's validation block (held-out training rows with injected anomalies)\n"
        s += "- ORACLE: the config with the best test `\(metric)` (reads the TEST LABELS: an upper bound, never a result)\n\n"
        for m in selection.models {
            s += "## \(m.model)\n\n"
            s += "| machine | selected config | selection score | test \(metric) | test F1 | ORACLE config | ORACLE test \(metric) | ORACLE test F1 | Spearman(selection, test) |\n"
            s += "|---|---|---|---|---|---|---|---|---|\n"
            for p in m.perMachine + (m.overall.map { [$0] } ?? []) {
                s += "| \(p.machine == "all" ? "**all (mean)**" : p.machine) | \(swept(p.selected.swept, keys: plan.sweptKeys)) | "
                s += "\(Format.fixed(p.selected.selectionScore)) | \(Format.fixed(p.selected.test[metric] ?? nil)) | \(Format.fixed(p.selected.test["pw_f1"] ?? nil)) | "
                s += "\(swept(p.oracle.swept, keys: plan.sweptKeys)) | \(Format.fixed(p.oracle.test[metric] ?? nil)) | \(Format.fixed(p.oracle.test["pw_f1"] ?? nil)) | "
                s += "\(Format.fixed(p.spearman, digits: 2)) |\n"
            }
            s += "\nMean over machines of the per-machine choices: selected \(metric) \(Format.fixed(m.perMachineSelectedMean[metric] ?? nil)), "
            s += "F1 \(Format.fixed(m.perMachineSelectedMean["pw_f1"] ?? nil)); ORACLE \(metric) \(Format.fixed(m.perMachineOracleMean[metric] ?? nil)), "
            s += "F1 \(Format.fixed(m.perMachineOracleMean["pw_f1"] ?? nil)).\n\n"
        }
        s += "## All trials\n\n| trial | machine | model | " + plan.sweptKeys.joined(separator: " | ")
        s += " | selection score | test VUS-PR | test PR-AUC | test ROC-AUC | test F1 | ORACLE F1 |\n"
        s += "|---|---|---|" + String(repeating: "---|", count: plan.sweptKeys.count + 6) + "\n"
        for r in board.rows {
            s += "| \(r.trial) | \(r.machine) | \(r.model) | " + plan.sweptKeys.map { Leaderboard.text(r.swept[$0]) }.joined(separator: " | ")
            if let f = r.failure { s += " | FAILED: \(f.replacingOccurrences(of: "|", with: "/")) | | | | | |\n"; continue }
            s += " | \(Format.fixed(r.selectionScore)) | \(Format.fixed(r.test["vus_pr"] ?? nil)) | \(Format.fixed(r.test["pr_auc"] ?? nil)) | "
            s += "\(Format.fixed(r.test["roc_auc"] ?? nil)) | \(Format.fixed(r.test["pw_f1"] ?? nil)) | \(Format.fixed(r.oracle?.pwF1)) |\n"
        }
        return s
    }

    /// `report.html`: the selection tables, one selection-vs-test scatter per model, and the leaderboard.
    public static func html(plan: SweepPlan, board: Leaderboard, selection: SweepSelection) -> String {
        let metric = selection.oracleMetricName
        var b = "<h1>Sweep report</h1>\n<p class=\"meta\">\(selection.completeTrials) of \(selection.totalTrials) trials complete · swept "
        b += HTMLReport.escape(plan.sweptKeys.joined(separator: ", ")) + " · selection <code>\(HTMLReport.escape(selection.selection))</code> on validation blocks</p>\n"
        b += "<p>The <b>selected</b> config is chosen by the validation selection score (held-out training rows with injected synthetic "
        b += "anomalies; no test data). The <b class=\"oracle\">ORACLE</b> config is chosen by the test <code>\(metric)</code>, which reads the test labels: "
        b += "an upper bound, never a result. The gap between them is what label-tuned protocols overstate.</p>\n"
        for m in selection.models {
            b += "<h2>\(HTMLReport.escape(m.model))</h2>\n<table><tr><th>machine</th><th>selected config</th><th>selection score</th><th>test \(metric)</th>"
            b += "<th>test F1</th><th class=\"oracle\">ORACLE config</th><th class=\"oracle\">ORACLE test \(metric)</th><th class=\"oracle\">ORACLE test F1</th>"
            b += "<th>Spearman(selection, test)</th></tr>\n"
            for p in m.perMachine + (m.overall.map { [$0] } ?? []) {
                b += "<tr><td>\(p.machine == "all" ? "<b>all (mean)</b>" : HTMLReport.escape(p.machine))</td>"
                b += "<td>\(HTMLReport.escape(swept(p.selected.swept, keys: plan.sweptKeys)))</td><td>\(Format.fixed(p.selected.selectionScore))</td>"
                b += "<td>\(Format.fixed(p.selected.test[metric] ?? nil))</td><td>\(Format.fixed(p.selected.test["pw_f1"] ?? nil))</td>"
                b += "<td class=\"oracle\">\(HTMLReport.escape(swept(p.oracle.swept, keys: plan.sweptKeys)))</td>"
                b += "<td class=\"oracle\">\(Format.fixed(p.oracle.test[metric] ?? nil))</td><td class=\"oracle\">\(Format.fixed(p.oracle.test["pw_f1"] ?? nil))</td>"
                b += "<td>\(Format.fixed(p.spearman, digits: 2))</td></tr>\n"
            }
            b += "</table>\n"
            let points = board.rows.filter { $0.model == m.model }.compactMap { r -> (Double, Double, String)? in
                guard let x = r.selectionScore, let y = r.test[metric] ?? nil, x.isFinite, y.isFinite else { return nil }
                return (x, y, r.machine)
            }
            b += scatter(points, xLabel: "validation selection score (\(selection.selection))", yLabel: "test \(metric)")
        }
        b += "<h2>Leaderboard</h2>\n<table><tr><th>trial</th><th>machine</th><th>model</th>"
        b += plan.sweptKeys.map { "<th>\(HTMLReport.escape($0))</th>" }.joined()
        b += "<th>selection score</th><th>test VUS-PR</th><th>test PR-AUC</th><th>test ROC-AUC</th><th>test F1</th><th class=\"oracle\">ORACLE F1</th></tr>\n"
        for r in board.rows {
            b += "<tr><td><code>\(r.trial)</code></td><td>\(HTMLReport.escape(r.machine))</td><td>\(HTMLReport.escape(r.model))</td>"
            b += plan.sweptKeys.map { "<td>\(HTMLReport.escape(Leaderboard.text(r.swept[$0])))</td>" }.joined()
            if let f = r.failure { b += "<td colspan=\"6\">FAILED: \(HTMLReport.escape(f))</td></tr>\n"; continue }
            b += "<td>\(Format.fixed(r.selectionScore))</td><td>\(Format.fixed(r.test["vus_pr"] ?? nil))</td><td>\(Format.fixed(r.test["pr_auc"] ?? nil))</td>"
            b += "<td>\(Format.fixed(r.test["roc_auc"] ?? nil))</td><td>\(Format.fixed(r.test["pw_f1"] ?? nil))</td>"
            b += "<td class=\"oracle\">\(Format.fixed(r.oracle?.pwF1))</td></tr>\n"
        }
        b += "</table>\n"
        return HTMLReport.page(title: "Vigil sweep report", body: b)
    }

    /// An inline SVG scatter plot of (x, y) points coloured by group (machine), with axes, ticks and a legend.
    static func scatter(_ pts: [(Double, Double, String)], xLabel: String, yLabel: String) -> String {
        guard !pts.isEmpty else { return "<p class=\"meta\">No trial has both a selection score and a test value yet.</p>\n" }
        let w = 640.0, h = 380.0, l = 60.0, r = 150.0, t = 16.0, bot = 48.0
        func range(_ v: [Double]) -> (Double, Double) {
            var lo = v.min()!, hi = v.max()!
            if hi - lo < 1e-12 { lo -= 0.5; hi += 0.5 }
            let pad = (hi - lo) * 0.06
            return (lo - pad, hi + pad)
        }
        let (x0, x1) = range(pts.map(\.0)), (y0, y1) = range(pts.map(\.1))
        func px(_ x: Double) -> Double { l + (x - x0) / (x1 - x0) * (w - l - r) }
        func py(_ y: Double) -> Double { h - bot - (y - y0) / (y1 - y0) * (h - t - bot) }
        let groups = Array(Set(pts.map(\.2))).sorted()
        let palette = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(w))\" height=\"\(Int(h))\" viewBox=\"0 0 \(Int(w)) \(Int(h))\" font-size=\"11\">"
        s += "<rect x=\"\(l)\" y=\"\(t)\" width=\"\(w - l - r)\" height=\"\(h - t - bot)\" fill=\"none\" stroke=\"#999\"/>"
        for i in 0...4 {
            let fx = x0 + (x1 - x0) * Double(i) / 4, fy = y0 + (y1 - y0) * Double(i) / 4
            s += "<line x1=\"\(px(fx))\" y1=\"\(h - bot)\" x2=\"\(px(fx))\" y2=\"\(h - bot + 4)\" stroke=\"#666\"/>"
            s += "<text x=\"\(px(fx))\" y=\"\(h - bot + 16)\" text-anchor=\"middle\">\(String(format: "%.3g", fx))</text>"
            s += "<line x1=\"\(l - 4)\" y1=\"\(py(fy))\" x2=\"\(l)\" y2=\"\(py(fy))\" stroke=\"#666\"/>"
            s += "<text x=\"\(l - 6)\" y=\"\(py(fy) + 4)\" text-anchor=\"end\">\(String(format: "%.3g", fy))</text>"
        }
        s += "<text x=\"\(l + (w - l - r) / 2)\" y=\"\(h - 10)\" text-anchor=\"middle\">\(HTMLReport.escape(xLabel))</text>"
        s += "<text transform=\"translate(14 \(t + (h - t - bot) / 2)) rotate(-90)\" text-anchor=\"middle\">\(HTMLReport.escape(yLabel))</text>"
        for (x, y, g) in pts {
            let c = palette[(groups.firstIndex(of: g) ?? 0) % palette.count]
            s += "<circle cx=\"\(px(x))\" cy=\"\(py(y))\" r=\"4\" fill=\"\(c)\" fill-opacity=\"0.75\"/>"
        }
        for (i, g) in groups.enumerated() {
            let y = t + 12 + Double(i) * 16
            s += "<circle cx=\"\(w - r + 16)\" cy=\"\(y - 4)\" r=\"4\" fill=\"\(palette[i % palette.count])\"/>"
            s += "<text x=\"\(w - r + 26)\" y=\"\(y)\">\(HTMLReport.escape(g))</text>"
        }
        return s + "</svg>\n"
    }
}
