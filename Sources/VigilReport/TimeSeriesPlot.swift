// The test score of one model on one machine over time, with its exported threshold, the labelled anomaly segments
// and the rows it flags.
import Foundation
import VigilScores

/// A min/max envelope of a long series for a plot `columns` pixels wide.
///
/// Rows 0..<n are split into `columns` consecutive spans (span c holds rows ⌊c·n/columns⌋ ..< ⌊(c+1)·n/columns⌋).
/// Each span keeps its smallest and largest finite value, in the order they occur, so a line through the kept points
/// touches every extreme: a one-row spike survives any downsampling, and the drawn band is exactly the range of the
/// data under each pixel column. With n ≤ columns every row is its own span (no reduction).
struct Envelope: Equatable {
    /// Per span: its first and last row (inclusive), and its (earlier extreme, later extreme); nil when it has no
    /// finite value.
    struct Column: Equatable {
        var first: Int, last: Int
        var values: (Double, Double)?
        static func == (a: Column, b: Column) -> Bool {
            a.first == b.first && a.last == b.last && a.values?.0 == b.values?.0 && a.values?.1 == b.values?.1
        }
    }
    var columns: [Column]

    init(_ v: [Double], columns requested: Int) {
        let n = v.count
        let k = min(max(requested, 1), n)
        var cols: [Column] = []
        cols.reserveCapacity(k)
        for c in 0..<k {
            let a = c * n / k, b = (c + 1) * n / k
            var lo = -1, hi = -1
            for t in a..<b where v[t].isFinite {
                if lo < 0 || v[t] < v[lo] { lo = t }
                if hi < 0 || v[t] > v[hi] { hi = t }
            }
            let values: (Double, Double)? = lo < 0 ? nil : (lo <= hi ? (v[lo], v[hi]) : (v[hi], v[lo]))
            cols.append(Column(first: a, last: b - 1, values: values))
        }
        columns = cols
    }
}

/// The score-over-time figure of one model on one machine.
///
/// Shows the 1-D test score (the aggregate: mean over dimensions for TranAD) reduced to a min/max envelope per pixel
/// column (`Envelope`), the exported threshold as a dashed line, the labelled anomaly segments (test labels) shaded,
/// and, in a strip under the plot, the pixel columns holding at least one flagged row (score > threshold). The y axis
/// is log10 when the scores span decades (see `prefersLog`), and the axis title says so; its bottom is then the 0.1th
/// percentile of the positive scores, and lower scores are drawn on the axis.
enum ScorePlot {
    static let width = 1100.0, height = 236.0
    static let left = 72.0, right = 1080.0, top = 34.0, plotBottom = 176.0

    /// True when a log axis shows the scores better: at most 1 % of them are ≤ 0 and the largest is at least 100× the
    /// 1st percentile of the positive ones (two decades).
    static func prefersLog(_ finite: [Double]) -> Bool {
        let pos = finite.filter { $0 > 0 }
        guard !pos.isEmpty, Double(finite.count - pos.count) <= 0.01 * Double(finite.count) else { return false }
        let q = SegmentAttribution.percentile(pos, 1)
        return q > 0 && (pos.max() ?? 0) / q >= 100
    }

    /// The `<svg>` of one model's test scores. `labels` (T,) are the test labels; `threshold` the exported one.
    static func render(machine: String, model: String, colour: String, scores: [Double], threshold: Double?, method: String,
                       labels: [Bool]?) -> String {
        var c = SVGCanvas(width: width, height: height)
        let finite = scores.filter(\.isFinite)
        let title = "\(machine) · \(model): test score over time"
        guard !finite.isEmpty else {
            c.text(left, 20, title, size: 13, extra: " font-weight=\"600\"")
            c.text(left, 60, "no finite test scores to plot", extra: " fill=\"#a00\"")
            return c.render(title: title)
        }
        let useLog = prefersLog(finite)
        var lo = finite.min()!, hi = finite.max()!
        if let t = threshold, t.isFinite, !useLog || t > 0 { lo = min(lo, t); hi = max(hi, t) }
        let y: AxisScale
        if useLog {
            // Bottom: the 0.1th percentile of the positive scores (at most 12 decades below the top); lower scores are
            // drawn on the axis.
            let floor = max(SegmentAttribution.percentile(finite.filter { $0 > 0 }, 0.1), hi * 1e-12)
            y = AxisScale.niceLog(min(floor, threshold.map { $0 > 0 ? $0 : floor } ?? floor), hi, p0: plotBottom, p1: top)
        } else {
            // 4 % headroom so a threshold at the top is not drawn on the frame.
            y = AxisScale.niceLinear(lo, hi + 0.04 * (hi - lo), p0: plotBottom, p1: top, target: 4)
        }
        let n = scores.count
        let x = AxisScale(lo: 0, hi: Double(n), p0: left, p1: right, log: false)
        let columns = Int(right - left)

        // Labelled anomaly segments (from the test labels), at least one pixel wide.
        if let labels, labels.count == n {
            for (a, b) in runs(labels) {
                let x0 = x.px(Double(a)), x1 = max(x.px(Double(b + 1)), x0 + 1)
                c.rect(x: x0, y: top, w: x1 - x0, h: plotBottom - top, fill: Palette.labelled, extra: " fill-opacity=\"0.45\"")
            }
        }
        Axes.left(&c, y: y, x0: left, x1: right, title: useLog ? "score (log scale)" : "score", ticks: 4)

        // The score envelope.
        let env = Envelope(scores, columns: columns)
        var points: [(Double, Double)?] = []
        for col in env.columns {
            guard let (u, v) = col.values else { points.append(nil); continue }
            let px = x.px(Double(col.first + col.last + 1) / 2)
            points.append((px, y.px(u)))
            if v != u { points.append((px, y.px(v))) }
        }
        c.polyline(points, stroke: colour, width: 1)

        // The exported threshold.
        if let t = threshold, t.isFinite, !useLog || t > 0 {
            c.line(left, y.px(t), right, y.px(t), stroke: Palette.threshold, width: 1.2, extra: " stroke-dasharray=\"6 4\"")
        }

        // Flagged rows (score > threshold), one mark per pixel column holding any.
        let rugTop = plotBottom + 9, rugHeight = 8.0
        c.rect(x: left, y: rugTop, w: right - left, h: rugHeight, fill: "#f4f4f4")
        c.text(left - 7, rugTop + 7.5, "flagged", anchor: "end", size: 9, extra: " fill=\"#555\"")
        if let t = threshold, t.isFinite {
            let flagged = scores.map { $0 > t }
            var d = ""
            for (a, b) in runs(flagged) {
                let x0 = x.px(Double(a)).rounded(.down), x1 = max(x.px(Double(b + 1)).rounded(.up), x0 + 1)
                d += "M\(SVGCanvas.n(x0)),\(SVGCanvas.n(rugTop))h\(SVGCanvas.n(x1 - x0))v\(SVGCanvas.n(rugHeight))h\(SVGCanvas.n(x0 - x1))z"
            }
            if !d.isEmpty { c.raw("<path d=\"\(d)\" fill=\"\(colour)\"/>") }
        }
        Axes.bottom(&c, x: x, y0: rugTop + rugHeight, title: "test time step (row)")

        // Title and legend.
        c.text(left, 18, "\(model)", size: 13, extra: " font-weight=\"600\" fill=\"\(colour)\"")
        var items: [Legend.Item] = [.line(colour: colour, width: 1.5, dash: nil, label: "test score (min/max per pixel column)")]
        if let t = threshold, t.isFinite {
            items.append(.line(colour: Palette.threshold, width: 1.2, dash: "6 4", label: "threshold \(method) = \(Format.number(t))"))
        }
        if labels != nil { items.append(.box(colour: Palette.labelled, opacity: 0.45, label: "labelled anomaly")) }
        items.append(.box(colour: colour, opacity: 1, label: "flagged (score > threshold)"))
        Legend.draw(&c, items: items, rightEdge: right, y: 18)
        return c.render(title: title)
    }

    /// Maximal runs (first, last inclusive) of true values.
    static func runs(_ flags: [Bool]) -> [(Int, Int)] {
        var out: [(Int, Int)] = []
        var t = 0
        while t < flags.count {
            guard flags[t] else { t += 1; continue }
            let a = t
            while t < flags.count, flags[t] { t += 1 }
            out.append((a, t - 1))
        }
        return out
    }
}
