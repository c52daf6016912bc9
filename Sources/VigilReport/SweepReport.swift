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

    /// An inline SVG scatter plot of (x, y) points coloured by group (machine), on the report's shared axes, ticks
    /// and palette.
    static func scatter(_ pts: [(Double, Double, String)], xLabel: String, yLabel: String) -> String {
        guard !pts.isEmpty else { return "<p class=\"meta\">No trial has both a selection score and a test value yet.</p>\n" }
        let width = 640.0, left = 60.0, right = 500.0, top = 24.0, bottom = 330.0
        var c = SVGCanvas(width: width, height: 380)
        let xs = pts.map(\.0), ys = pts.map(\.1)
        let x = AxisScale.niceLinear(xs.min()!, xs.max()!, p0: left, p1: right, target: 5)
        let y = AxisScale.niceLinear(ys.min()!, ys.max()!, p0: bottom, p1: top, target: 5)
        Axes.left(&c, y: y, x0: left, x1: right, title: yLabel)
        Axes.bottom(&c, x: x, y0: bottom, title: xLabel, ticks: 6)
        let groups = Array(Set(pts.map(\.2))).sorted(by: naturalOrder)
        for (px, py, g) in pts {
            let colour = Palette.model(groups.firstIndex(of: g) ?? 0)
            c.raw("<circle cx=\"\(SVGCanvas.n(x.px(px)))\" cy=\"\(SVGCanvas.n(y.px(py)))\" r=\"4\" fill=\"\(colour)\" fill-opacity=\"0.8\"/>")
        }
        for (i, g) in groups.enumerated() {
            let ly = top + 10 + Double(i) * 16
            c.raw("<circle cx=\"\(SVGCanvas.n(right + 16))\" cy=\"\(SVGCanvas.n(ly - 4))\" r=\"4\" fill=\"\(Palette.model(i))\"/>")
            c.text(right + 26, ly, g, size: 11)
        }
        return c.render(title: "\(yLabel) against \(xLabel)") + "\n"
    }
}
