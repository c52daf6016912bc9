// Training loss curves of one machine, from its `loss.csv`.
import Foundation
import VigilResults
import VigilScores

/// The per-batch training losses of `loss.csv` (`LossTable`), grouped by model.
struct LossCurves: Equatable {
    struct Row: Equatable {
        var epoch: Int, batch: Int
        var batchLoss: Double, epochMean: Double
    }
    /// Rows by model, in file order; `models` in order of first appearance.
    var rows: [String: [Row]] = [:]
    var models: [String] = []

    /// Parses `loss.csv` (`LossTable`); nil when it is damaged (the plot is then left out, with a note).
    static func parse(_ text: String) -> LossCurves? {
        guard let table = LossTable.parse(text) else { return nil }
        var out = LossCurves()
        for r in table.rows {
            if out.rows[r.model] == nil { out.models.append(r.model) }
            out.rows[r.model, default: []].append(Row(epoch: r.epoch, batch: r.batch, batchLoss: r.batchLoss, epochMean: r.epochMean))
        }
        return out
    }

    /// Fractional epoch of a row: epoch − 1 + batch / (batches in that epoch), so epoch e's last batch sits at x = e.
    static func positions(_ rows: [Row]) -> [Double] {
        var batches: [Int: Int] = [:]
        for r in rows { batches[r.epoch] = max(batches[r.epoch] ?? 0, r.batch) }
        return rows.map { Double($0.epoch - 1) + Double($0.batch) / Double(batches[$0.epoch] ?? 1) }
    }

    /// Per epoch (ascending), the epoch's mean loss: the running mean at its last batch.
    static func epochMeans(_ rows: [Row]) -> [(epoch: Int, loss: Double)] {
        var last: [Int: Row] = [:]
        for r in rows where r.batch >= (last[r.epoch]?.batch ?? 0) { last[r.epoch] = r }
        return last.keys.sorted().map { ($0, last[$0]!.epochMean) }
    }
}

/// The training-loss figure of one machine: per model (its colour), the loss of every batch as a thin line
/// (min/max envelope per pixel column when there are more batches than pixels, as `Envelope`) and each epoch's mean
/// loss as a bold horizontal segment across that epoch, with a marker at its middle. x: fractional epoch; y: loss, log10 when it spans
/// decades (the axis title says so).
enum LossPlot {
    static let width = 1100.0, height = 210.0
    static let left = 72.0, right = 1080.0, top = 30.0, plotBottom = 168.0

    static func render(machine: String, curves: LossCurves, colours: [String: String]) -> String {
        var c = SVGCanvas(width: width, height: height)
        let title = "\(machine): training loss"
        let all = curves.models.flatMap { (curves.rows[$0] ?? []).flatMap { [$0.batchLoss, $0.epochMean] } }.filter(\.isFinite)
        let epochs = curves.models.compactMap { curves.rows[$0]?.map(\.epoch).max() }.max() ?? 1
        guard !all.isEmpty else {
            c.text(left, 20, "no finite training losses to plot", extra: " fill=\"#a00\"")
            return c.render(title: title)
        }
        let useLog = ScorePlot.prefersLog(all)
        let y = useLog ? AxisScale.niceLog(max(all.filter { $0 > 0 }.min()!, all.max()! * 1e-8), all.max()!, p0: plotBottom, p1: top)
            : AxisScale.niceLinear(min(all.min()!, 0), all.max()! * 1.04, p0: plotBottom, p1: top, target: 4)
        let x = AxisScale(lo: 0, hi: Double(epochs), p0: left, p1: right, log: false)
        Axes.left(&c, y: y, x0: left, x1: right, title: useLog ? "loss (log scale)" : "loss", ticks: 4)
        Axes.bottom(&c, x: x, y0: plotBottom, title: "epoch", ticks: min(epochs, 10))

        var items: [Legend.Item] = []
        for m in curves.models {
            let rows = curves.rows[m] ?? []
            let colour = colours[m] ?? Palette.model(0)
            let pos = LossCurves.positions(rows)
            let env = Envelope(rows.map(\.batchLoss), columns: Int(right - left))
            var pts: [(Double, Double)?] = []
            for col in env.columns {
                guard let (u, v) = col.values else { pts.append(nil); continue }
                let px = x.px((pos[col.first] + pos[col.last]) / 2)
                pts.append((px, y.px(u)))
                if v != u { pts.append((px, y.px(v))) }
            }
            c.polyline(pts, stroke: colour, width: 0.8, extra: " stroke-opacity=\"0.55\"")
            let means = LossCurves.epochMeans(rows)
            for p in means where p.loss.isFinite {
                let py = y.px(p.loss)
                c.line(x.px(Double(p.epoch - 1)), py, x.px(Double(p.epoch)), py, stroke: colour, width: 2.6)
                c.raw("<circle cx=\"\(SVGCanvas.n(x.px(Double(p.epoch) - 0.5)))\" cy=\"\(SVGCanvas.n(py))\" r=\"3.5\" fill=\"\(colour)\"/>")
            }
            items.append(.line(colour: colour, width: 0.8, dash: nil, label: "\(m) batch loss"))
            items.append(.line(colour: colour, width: 2.6, dash: nil, label: "\(m) epoch mean"))
        }
        c.text(left, 16, "training loss", size: 13, extra: " font-weight=\"600\"")
        Legend.draw(&c, items: items, rightEdge: right, y: 16)
        return c.render(title: title)
    }
}
