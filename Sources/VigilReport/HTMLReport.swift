// `report.html`: the run's report as one self-contained file — inline CSS and inline SVG, no scripts, no fonts or
// images from the network — in XHTML-compatible markup (it parses as XML). Deterministic: the same run directory
// gives the same bytes (the only date is the summary's `created`).
//
// Contents: headline table (mean ± std over machines, ORACLE columns apart), per-machine bars of ROC-AUC and F1,
// the per-machine table, per machine the score-over-time, training-loss and attribution figures
// (`MachineSection`), provenance, the resolved config, and how each figure reduces its data.
import Foundation
import VigilResults

/// Renders the HTML report of a run.
public enum HTMLReport {
    /// The report of `s`, reading each machine's stored scores, labels and losses from `layout`.
    public static func render(_ s: RunSummary, layout: RunLayout) -> String {
        let e = escape
        let colours = Dictionary(uniqueKeysWithValues: s.models.enumerated().map { ($1, Palette.model($0)) })
        var figures = FigureCounter()
        var body = "<header><h1>Vigil run report</h1>\n"
        body += "<p class=\"meta\">\(s.machines.count) machine\(s.machines.count == 1 ? "" : "s") · models "
        body += s.models.map { "<span class=\"swatch\" style=\"background:\(colours[$0]!)\"></span>\(e($0))" }.joined(separator: ", ")
        body += " · seed \(e(s.seed)) · config sha256 <code>\(e(s.configSHA256))</code> · created \(e(s.created))</p></header>\n"
        body += "<nav><b>Contents</b> <a href=\"#results\">1 Results</a> · <a href=\"#per-machine\">2 Per machine</a> · "
        body += "<a href=\"#figures\">3 Figures per machine</a> (" + s.machines.enumerated().map { "<a href=\"#m\($0.offset)\">\(e($0.element.machine))</a>" }
            .joined(separator: ", ")
        body += ") · <a href=\"#provenance\">4 Provenance</a> · <a href=\"#config\">5 Resolved config</a> · <a href=\"#methods\">6 Methods</a></nav>\n"

        body += "<section id=\"results\"><h2>1 Results over machines</h2>\n"
        body += "<p>All numbers are at each model's exported (deployable) threshold, chosen from training scores only. Columns headed "
        body += "<span class=\"oracle-tag\">ORACLE</span> use thresholds tuned on the test labels: an upper bound, never a result. "
        body += "Mean ± sample standard deviation over machines (every machine weighs the same). PA-F1 is the legacy point-adjusted "
        body += "protocol and overstates accuracy (its own table below)."
        if s.seeds > 1 { body += " Stochastic models ran \(s.seeds) seeds per machine; a machine's value is their mean." }
        body += " Under each value: the 95% percentile-bootstrap interval of the mean over machines (10,000 resamples).</p>\n"
        body += Tables.overMachines(s, colours: colours)
        body += "<h3>Pooled over machines</h3>\n<p>Point-wise metrics from the confusion counts summed over machines (micro average: "
        body += "long machines weigh more); threshold-free metrics of all machines' test scores concatenated (their scales differ "
        body += "between machines, so these answer \"one ranking over all machines\", the table above \"a typical machine\").</p>\n"
        body += Tables.metricTable(s, colours: colours, keys: RunReport.headline) { m, k in Format.fixed(s.pooled[m]?[k] ?? nil, digits: 3) }
        body += "<h3>Range-based and affiliation metrics</h3>\n<p>Mean ± std over machines at the exported threshold (range metrics: "
        body += "Tatbul et al. 2018 with TSB-AD's settings; affiliation: Huet et al. 2022).</p>\n"
        body += Tables.metricTable(s, colours: colours, keys: RunReport.rangeMetrics) { m, k in RunReport.meanStd(s.overMachines[m]?[k]) }
        body += "<h3>Legacy protocol: point adjustment</h3>\n<p>Point-adjusted F1 flags a whole labelled segment when any of its rows "
        body += "is flagged; a random score reaches high PA-F1. Shown for comparison with published numbers only.</p>\n"
        body += Tables.metricTable(s, colours: colours, keys: RunReport.legacy + [("oracle_pa_f1", "ORACLE PA-F1")]) { m, k in
            k == "oracle_pa_f1" ? RunReport.meanStd(s.oracleOverMachines[m]?["pa_f1"]) : RunReport.meanStd(s.overMachines[m]?[k])
        }
        for (metric, title) in [("vus_pr", "VUS-PR"), ("pw_f1", "point-wise F1")] {
            body += "<h3>Win / tie / loss per machine on \(title)</h3>\n<p>Row model against column model: machines won / tied / lost. "
            body += "A machine's interval is its mean ± one standard deviation over seeds (a point for a single run); overlapping "
            body += "intervals tie.</p>\n" + Tables.winTieLoss(s, metric: metric, colours: colours)
        }
        if !s.sensitivity.isEmpty {
            body += "<h3>Threshold sensitivity</h3>\n<div class=\"row\">"
            for setting in SensitivityPlot.Setting.allCases {
                body += figures.figure(SensitivityPlot.render(setting, sensitivity: s.sensitivity, models: s.models, colours: colours),
                                       caption: "Mean over machines of point-wise F1 (solid) and alarm rate (dashed) when the "
                                       + "\(setting.title) alone is varied around the run's calibration (thresholds from training scores only).")
            }
            body += "</div>\n"
        }
        if !s.incomplete.isEmpty {
            body += "<p class=\"note\">Incomplete (left out of every number): "
            body += s.incomplete.sorted { $0.key < $1.key }.map { "<b>\(e($0.key))</b>: \(e($0.value))" }.joined(separator: "; ") + "</p>\n"
        }
        for (key, metric, what) in [("roc_auc", "ROC-AUC", "ROC-AUC (threshold-free)"), ("pw_f1", "point-wise F1", "Point-wise F1 at the exported threshold")] {
            let series = s.models.map { m in
                BarChart.Series(name: m, colour: colours[m]!, values: s.machines.map { $0.models[m]?[key] ?? nil },
                                mean: s.overMachines[m]?[key] ?? Aggregate([]))
            }
            let svg = BarChart.render(title: "\(metric) per machine", metric: metric, groups: s.machines.map(\.machine), series: series)
            body += figures.figure(svg, caption: "\(what) per machine and model; last group: mean over machines with ±1 standard deviation "
                + "(the summary table's numbers). n/a: the model failed or the metric is undefined on that machine.")
        }
        body += "</section>\n"

        body += "<section id=\"per-machine\"><h2>2 Per machine</h2>\n" + Tables.perMachine(s, colours: colours) + "</section>\n"

        body += "<section id=\"figures\"><h2>3 Figures per machine</h2>\n"
        if figureModels(s).count < s.models.count {
            body += "<p class=\"note\">Figures show the models the config names (" + figureModels(s).map(e).joined(separator: ", ")
            body += "); the sanity baselines are in the tables only.</p>\n"
        }
        for (i, row) in s.machines.enumerated() {
            body += MachineSection.render(machine: row.machine, anchor: "m\(i)", layout: layout, models: figureModels(s), colours: colours,
                                          figures: &figures)
        }
        body += "</section>\n"
        body += "<section id=\"provenance\"><h2>4 Provenance</h2>\n" + Tables.provenance(s) + Tables.timing(s) + "</section>\n"
        body += "<section id=\"config\"><h2>5 Resolved config</h2>\n<p>Every key, defaults included; its sha256 identifies the experiment.</p>\n"
        body += "<div class=\"config\">" + ConfigText.blocks(s.config).map { "<pre>\(e($0))</pre>" }.joined() + "</div></section>\n"
        body += "<section id=\"methods\"><h2>6 How the figures are made</h2>\n<ul>\n"
        body += "<li><b>Score over time.</b> Each pixel column covers ⌈rows/columns⌉ or ⌊rows/columns⌋ consecutive test rows and draws "
        body += "the smallest and largest score among them (in time order), so the line's envelope is exactly the data's range and a "
        body += "one-row spike is never averaged away. The y axis is logarithmic when the largest score is at least 100× the 1st "
        body += "percentile of the positive scores (and at most 1 % are ≤ 0); the axis title says so, and it starts at the 0.1th "
        body += "percentile of the positive scores (lower scores are drawn on the axis).</li>\n"
        body += "<li><b>Flagged rows</b> are those with score &gt; exported threshold (strict, as the metrics); the strip marks every "
        body += "pixel column holding one. <b>Labelled segments</b> come from the test labels and are at least one pixel wide.</li>\n"
        body += "<li><b>Training loss.</b> Batch losses as recorded in loss.csv (min/max per pixel column when there are more batches "
        body += "than columns); each bold segment is an epoch's mean loss (the mean of its batch losses), drawn across that epoch.</li>\n"
        body += "<li><b>Attribution.</b> For each detected segment (maximal run of flagged test rows) and dimension d: "
        body += "mean over the segment of score[t, d] / b<sub>d</sub>, b<sub>d</sub> = max(P95 of dimension d's training scores, 10<sup>-8</sup>). "
        body += "Outlined cells are the dimensions the serving component would report: ranked by elevation, kept while ≥ 2, until 80 % "
        body += "of the excess Σ max(score − b<sub>d</sub>, 0) is covered, at most 10. At most \(AttributionFigure.cap) segments per "
        body += "heatmap (those with the highest peak score). Colours are quantised to \(Heatmap.levels) levels on a log scale from 1× to the "
        body += "decade at or above the 95th percentile of the heatmap's cells; higher elevations take the darkest colour.</li>\n"
        body += "<li><b>Bars.</b> The per-machine value of the metric; the mean group is the mean ± sample standard deviation over the "
        body += "machines where it is defined.</li>\n</ul></section>\n"
        return page(title: "Vigil run report", body: body)
    }

    /// The models drawn in the per-machine figures: those the config names in `models`. The sanity baselines the run
    /// adds (random, untrained_tranad) are in every table, but their score plots would only make the file larger.
    static func figureModels(_ s: RunSummary) -> [String] {
        guard case .object(let o) = s.config, case .array(let listed)? = o["models"] else { return s.models }
        let named = Set(listed.compactMap { if case .string(let m) = $0 { return m }; return nil })
        let kept = s.models.filter(named.contains)
        return kept.isEmpty ? s.models : kept
    }

    /// A complete XHTML-compatible HTML document with the report's inline style sheet.
    static func page(title: String, body: String) -> String {
        """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"/><meta name="viewport" content="width=device-width, initial-scale=1"/>
        <title>\(escape(title))</title>
        <style>
        \(style)
        </style></head><body>
        \(body)
        </body></html>

        """
    }

    static let style = """
        body{font-family:"Helvetica Neue",Helvetica,Arial,"Liberation Sans","DejaVu Sans",sans-serif;margin:2em auto;max-width:1120px;color:#222;padding:0 1em;line-height:1.4;font-size:15px}
        h1{font-size:26px;margin:0 0 .2em}h2{font-size:20px;border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:2em}
        h3{font-size:17px;margin:1.6em 0 .3em}nav{font-size:13px;color:#444;margin:1em 0;line-height:1.7}nav a{color:#0b5cad;text-decoration:none}
        table{border-collapse:collapse;margin:1em 0;font-size:13px;font-variant-numeric:tabular-nums}
        th,td{border:1px solid #d0d0d0;padding:3px 8px;text-align:right}th{background:#f3f3f3;font-weight:600}
        td{white-space:nowrap}td.name,th.name{text-align:left}tr.group th{background:#e9eef5;text-align:center}
        .oracle{background:#fff3e0;color:#8a4b00}th.oracle{background:#ffe2bf}tr.group th.oracle{background:#ffd5a3}
        .sep{border-left:3px solid #c77700}.oracle-tag{background:#ffe2bf;color:#8a4b00;padding:0 4px;font-weight:600;font-size:12px}
        .meta{color:#555;font-size:13px}code{font-size:12px}table.kv td{text-align:left}table.kv th{text-align:left}
        .swatch{display:inline-block;width:10px;height:10px;margin:0 4px 0 2px;vertical-align:baseline}
        figure{margin:1.2em 0 1.6em}.row{display:flex;flex-wrap:wrap;gap:0 1.5em}.row figure{flex:0 1 340px}.ci{color:#777;font-size:11px}figure svg{display:block;max-width:100%;height:auto}
        figcaption{font-size:13px;color:#333;margin-top:.3em;max-width:1040px}
        svg text{font-family:"Helvetica Neue",Helvetica,Arial,"Liberation Sans","DejaVu Sans",sans-serif}
        .facts{color:#444;font-size:13px;margin:.2em 0}.note{color:#8a1f11;font-size:13px}
        div.config{display:grid;grid-template-columns:repeat(3,minmax(0,1fr));gap:10px;align-items:start}
        div.config pre{background:#f7f7f7;border:1px solid #e0e0e0;padding:.6em .8em;font-size:12px;line-height:1.35;margin:0;overflow-x:auto}
        section.machine{border-top:1px solid #eee;margin-top:1.5em}h2+section.machine{border-top:none}
        """

    /// HTML-escapes text (&, <, >, ", ').
    public static func escape(_ s: String) -> String {
        var o = ""
        for c in s {
            switch c {
            case "&": o += "&amp;"
            case "<": o += "&lt;"
            case ">": o += "&gt;"
            case "\"": o += "&quot;"
            case "'": o += "&#39;"
            default: o.append(c)
            }
        }
        return o
    }
}
