// How point-wise F1 and the alarm rate move with the threshold settings, averaged over machines: the fragility of
// the exported threshold (issue 13). One figure per setting (POT level, POT q, percentile), one line per model.
import Foundation
import VigilResults

enum SensitivityPlot {
    static let width = 340.0, height = 250.0
    static let left = 52.0, right = 330.0, top = 40.0, plotBottom = 200.0

    /// The x axis: POT level on 1 − level (log), q (log), percentile on 100 − p (log, +0.01 so 100 is drawn).
    enum Setting: CaseIterable {
        case potLevel, potQ, percentile
        var title: String {
            switch self {
            case .potLevel: return "POT initial level"
            case .potQ: return "POT risk q"
            case .percentile: return "training-score percentile"
            }
        }
        var axis: String {
            switch self {
            case .potLevel: return "1 − level (log scale)"
            case .potQ: return "q (log scale)"
            case .percentile: return "100 − percentile + 0.01 (log scale)"
            }
        }
        func x(_ v: Double) -> Double {
            switch self {
            case .potLevel: return max(1 - v, 1e-12)
            case .potQ: return v
            case .percentile: return 100 - v + 0.01
            }
        }
        func points(_ s: SensitivitySummary) -> [SensitivitySummary.Point] {
            switch self {
            case .potLevel: return s.potLevel
            case .potQ: return s.potQ
            case .percentile: return s.percentile
            }
        }
    }

    /// F1 (solid) and alarm rate (dashed) against one setting, per model; markers at the evaluated values.
    static func render(_ setting: Setting, sensitivity: [String: SensitivitySummary], models: [String], colours: [String: String]) -> String {
        var c = SVGCanvas(width: width, height: height)
        let xs = models.flatMap { m in sensitivity[m].map { setting.points($0).map { setting.x($0.value) } } ?? [] }.filter { $0 > 0 }
        guard let lo = xs.min(), let hi = xs.max() else {
            c.text(left, 20, "no sensitivity data", extra: " fill=\"#a00\"")
            return c.render(title: setting.title)
        }
        let x = AxisScale.niceLog(lo, hi, p0: left, p1: right)
        let y = AxisScale(lo: 0, hi: 1, p0: plotBottom, p1: top, log: false)
        Axes.left(&c, y: y, x0: left, x1: right, title: "F1 (solid), alarm rate (dashed)", ticks: 5)
        Axes.bottom(&c, x: x, y0: plotBottom, title: setting.axis, ticks: 6)
        for m in models {
            guard let s = sensitivity[m] else { continue }
            let colour = colours[m] ?? Palette.model(0)
            let pts = setting.points(s)
            c.polyline(pts.map { p in p.pwF1.map { (x.px(setting.x(p.value)), y.px($0)) } }, stroke: colour, width: 1.8)
            c.polyline(pts.map { p in p.alarmRate.map { (x.px(setting.x(p.value)), y.px(min($0, 1))) } }, stroke: colour, width: 1.2,
                       extra: " stroke-dasharray=\"4 3\"")
            for p in pts { if let f = p.pwF1 { c.raw("<circle cx=\"\(SVGCanvas.n(x.px(setting.x(p.value))))\" cy=\"\(SVGCanvas.n(y.px(f)))\" r=\"2.5\" fill=\"\(colour)\"/>") } }
        }
        c.text(left, 16, setting.title, size: 13, extra: " font-weight=\"600\"")
        return c.render(title: "F1 and alarm rate against the \(setting.title)")
    }
}
