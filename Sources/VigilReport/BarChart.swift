// Grouped bars of one metric: one group per machine, one bar per model, and a last group with the mean over machines.
import Foundation
import VigilResults

/// A grouped bar chart of a metric in [0, 1].
///
/// One group per machine (in the summary's order), one bar per model in its colour; a missing bar is a model that
/// failed or whose metric is undefined on that machine (marked "n/a"). The last group, set apart, is the mean over
/// the machines where the metric is defined, with a ±1 sample standard deviation whisker; the legend prints it —
/// the same numbers as the summary table (`Aggregate`).
enum BarChart {
    static let height = 306.0
    static let left = 64.0, top = 34.0, plotBottom = 236.0

    struct Series {
        var name: String
        var colour: String
        /// One value per group (machine); nil when undefined.
        var values: [Double?]
        var mean: Aggregate
    }

    static func render(title: String, metric: String, groups: [String], series: [Series]) -> String {
        let width = 1100.0, right = width - 20
        var c = SVGCanvas(width: width, height: height)
        let y = AxisScale(lo: 0, hi: 1, p0: plotBottom, p1: top, log: false)
        Axes.left(&c, y: y, x0: left, x1: right, title: metric, ticks: 5)
        // Slots: one per machine, a gap, then the mean group (1.5 slots wide so its labels fit).
        let slots = Double(groups.count) + 2.0
        let slot = (right - left) / slots
        let barW = min(22, slot * 0.8 / Double(max(series.count, 1)))
        func barX(_ center: Double, _ s: Int) -> Double {
            center - barW * Double(series.count) / 2 + barW * Double(s)
        }
        for (g, name) in groups.enumerated() {
            let cx = left + slot * (Double(g) + 0.5)
            for (s, ser) in series.enumerated() {
                if let v = ser.values[g], v.isFinite {
                    let v = min(max(v, 0), 1)
                    c.rect(x: barX(cx, s), y: y.px(v), w: barW - 1, h: plotBottom - y.px(v), fill: ser.colour)
                } else {
                    c.text(barX(cx, s) + barW / 2, plotBottom - 4, "n/a", anchor: "middle", size: 8, extra: " fill=\"#a00\"",
                           rotate: -90)
                }
            }
            c.text(cx + 3, plotBottom + 12, name, anchor: "end", size: 10.5, rotate: -40)
        }
        // The mean over machines.
        let sep = left + slot * (Double(groups.count) + 0.25)
        c.line(sep, top, sep, plotBottom, stroke: "#999", extra: " stroke-dasharray=\"3 3\"")
        let cx = left + slot * (Double(groups.count) + 1.1)
        let meanBar = min(26, slot * 1.4 / Double(max(series.count, 1)))
        for (s, ser) in series.enumerated() {
            let x0 = cx - meanBar * Double(series.count) / 2 + meanBar * Double(s)
            guard let m = ser.mean.mean, m.isFinite else { continue }
            let mv = min(max(m, 0), 1)
            c.rect(x: x0, y: y.px(mv), w: meanBar - 1, h: plotBottom - y.px(mv), fill: ser.colour)
            if let sd = ser.mean.std, sd.isFinite {
                let a = y.px(max(mv - sd, 0)), b = y.px(min(mv + sd, 1)), mx = x0 + (meanBar - 1) / 2
                c.line(mx, a, mx, b, stroke: "#222", width: 1.2)
                c.line(mx - 4, a, mx + 4, a, stroke: "#222", width: 1.2)
                c.line(mx - 4, b, mx + 4, b, stroke: "#222", width: 1.2)
            }
        }
        c.text(cx + 3, plotBottom + 12, "mean ± std", anchor: "end", size: 10.5, extra: " font-weight=\"600\"", rotate: -40)
        c.text(left, 18, title, size: 13, extra: " font-weight=\"600\"")
        // "model mean ± std", with n only where the metric is defined on fewer machines than there are groups (kept short:
        // four long labels would run into the title)
        Legend.draw(&c, items: series.map {
            .box(colour: $0.colour, opacity: 1,
                 label: "\($0.name) \(RunReport.meanStd($0.mean))" + ($0.mean.n == groups.count ? "" : " (n = \($0.mean.n))"))
        }, rightEdge: right, y: 18)
        return c.render(title: title)
    }
}
