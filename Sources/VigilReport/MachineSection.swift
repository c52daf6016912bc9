// One machine's part of `report.html`: its data facts and figures, read from its directory in the run.
import Foundation
import VigilResults
import VigilScores

/// Numbers the report's figures in order ("Figure 3").
struct FigureCounter {
    private(set) var next = 1
    mutating func take() -> Int { defer { next += 1 }; return next }

    /// `<figure>` with an SVG and a numbered caption.
    mutating func figure(_ svg: String, caption: String) -> String {
        "<figure>\(svg)<figcaption><b>Figure \(take()).</b> \(caption)</figcaption></figure>\n"
    }
}

/// Renders one machine: per model the test score over time, the training loss, and per model with per-dimension
/// scores the attribution heatmap. A file that is missing or unreadable becomes a visible note in the report (the
/// rest of the report is still written).
enum MachineSection {
    static func render(machine: String, anchor: String, layout: RunLayout, models: [String], colours: [String: String],
                       figures: inout FigureCounter) -> String {
        let e = HTMLReport.escape
        let dir = layout.machine(machine)
        func path(_ f: String) -> String { (dir as NSString).appendingPathComponent(f) }
        var b = "<section class=\"machine\" id=\"\(anchor)\">\n<h3>\(e(machine))</h3>\n"
        let metrics: MachineMetrics
        do {
            guard let d = FileManager.default.contents(atPath: path(RunLayout.MachineFile.metrics)) else {
                return b + note("metrics.json is missing: re-run the machine") + "</section>\n"
            }
            metrics = try JSONOutput.decode(MachineMetrics.self, from: d)
        } catch {
            return b + note("metrics.json is unreadable (\(error)): re-run the machine") + "</section>\n"
        }
        let ds = metrics.dataset
        b += "<p class=\"facts\">\(ds.trainRows) train rows, \(ds.testRows) test rows, \(ds.dimensions) dimensions; "
        b += "\(ds.anomalousTestPoints) anomalous test rows in \(ds.anomalySegments) labelled segments.</p>\n"

        var labels: EvaluationLabelArrays? = nil
        do { labels = try LabelStore.read(path(RunLayout.MachineFile.labels)) } catch {
            b += note("labels.h5 is unreadable (\(error)): the plots show no labelled segments")
        }

        var scores: [String: (train: ScoreSet, test: ScoreSet)] = [:]
        for m in models {
            if let why = metrics.failures[m] { b += note("\(m) failed on this machine: \(why)"); continue }
            guard let r = metrics.models[m] else { b += note("\(m) has no results on this machine"); continue }
            let s: (train: ScoreSet, test: ScoreSet)
            do { let stored = try ScoreFile.read(path(RunLayout.MachineFile.scores(m))); s = (stored.train, stored.test) } catch {
                b += note("scores/\(m).h5 is unreadable (\(error)): no score plot for \(m)"); continue
            }
            scores[m] = s
            let t = r["threshold"]
            let svg = ScorePlot.render(machine: machine, model: m, colour: colours[m] ?? Palette.model(0), scores: s.test.aggregate,
                                       threshold: t, method: r.thresholdMethod, labels: labels?.labels)
            let flagged = t.map { t in s.test.aggregate.reduce(0) { $0 + ($1 > t ? 1 : 0) } }
            var cap = "\(e(machine)), <b>\(e(m))</b>: the 1-D test score over time"
            cap += s.test.dims > 0 ? " (mean of the \(s.test.dims) per-dimension scores)" : ""
            cap += ", drawn as its minimum and maximum per pixel column (\(s.test.rows) rows in \(min(s.test.rows, Int(ScorePlot.right - ScorePlot.left))) columns), "
            cap += "so single-row spikes stay visible. Dashed: the exported threshold (\(e(r.thresholdMethod)), from training scores only). "
            cap += "Shaded: labelled anomaly segments (test labels). Strip: pixel columns with at least one flagged row "
            cap += "(score &gt; threshold; \(flagged.map(String.init) ?? "n/a") rows flagged)."
            b += figures.figure(svg, caption: cap)
        }

        if let text = try? String(contentsOfFile: path(RunLayout.MachineFile.loss), encoding: .utf8) {
            if let curves = LossCurves.parse(text) {
                if !curves.models.isEmpty {
                    let cap = "\(e(machine)): training loss of \(curves.models.map { "<b>\(e($0))</b>" }.joined(separator: ", ")) per batch (thin) "
                        + "and per epoch (bold: the mean of the epoch's batch losses, drawn across its epoch)."
                    b += figures.figure(LossPlot.render(machine: machine, curves: curves, colours: colours), caption: cap)
                }
            } else {
                b += note("loss.csv does not parse (expected header model,epoch,batch,batch_loss,epoch_mean_loss,learning_rate): no loss plot")
            }
        }

        for m in models {
            guard let s = scores[m], s.test.dims > 0, let t = metrics.models[m]?["threshold"] else { continue }
            let fig: AttributionFigure
            do {
                fig = try AttributionFigure(train: s.train, test: s.test, threshold: t, labels: labels?.labels,
                                            interpretation: labels?.dimensions == s.test.dims ? labels?.interpretation : nil)
            } catch {
                b += note("\(m): no attribution heatmap: \(error)"); continue
            }
            guard !fig.rows.isEmpty else {
                b += note("\(m) flags no test rows at the exported threshold: no segments to attribute"); continue
            }
            var cap = "\(e(machine)), <b>\(e(m))</b>: per-dimension attribution of the segments detected at the exported threshold "
            cap += "(maximal runs of flagged test rows). Cell: mean over the segment of score / baseline, baseline = 95th percentile of "
            cap += "that dimension's training scores (floored at 10<sup>-8</sup>) — the serving component's rule. "
            cap += fig.rows.count < fig.totalSegments
                ? "\(fig.rows.count) of \(fig.totalSegments) segments shown (the \(fig.rows.count) with the highest peak score)."
                : "All \(fig.totalSegments) segments shown."
            b += figures.figure(Heatmap.render(machine: machine, model: m, figure: fig), caption: cap)
        }
        return b + "</section>\n"
    }

    static func note(_ s: String) -> String { "<p class=\"note\">\(HTMLReport.escape(s))</p>\n" }
}
