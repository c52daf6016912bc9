// SVG primitives for the report's plots: an element writer with escaped text, compact deterministic numbers,
// linear and log scales with "nice" ticks, and the colours every plot shares.
//
// Every plot is an inline `<svg>` in XHTML-compatible markup (quoted attributes, self-closed empty elements), so
// the report parses as XML and renders the same in any browser without scripts or network resources. Inline SVG in
// HTML needs no namespace declaration, so the file holds no URL at all.
import Foundation

/// Builds one `<svg>` element.
struct SVGCanvas {
    let width: Double
    let height: Double
    private(set) var body = ""

    init(width: Double, height: Double) { self.width = width; self.height = height }

    /// A number with at most one decimal, without a trailing ".0" (coordinates are in CSS pixels).
    static func n(_ x: Double) -> String {
        guard x.isFinite else { return "0" }
        let r = (min(max(x, -1e9), 1e9) * 10).rounded() / 10
        if r == r.rounded() { return String(Int(r)) }
        return String(format: "%.1f", r)
    }

    mutating func raw(_ s: String) { body += s }

    mutating func rect(x: Double, y: Double, w: Double, h: Double, fill: String, extra: String = "") {
        body += "<rect x=\"\(Self.n(x))\" y=\"\(Self.n(y))\" width=\"\(Self.n(w))\" height=\"\(Self.n(h))\" fill=\"\(fill)\"\(extra)/>"
    }

    mutating func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, stroke: String, width: Double = 1, extra: String = "") {
        body += "<line x1=\"\(Self.n(x1))\" y1=\"\(Self.n(y1))\" x2=\"\(Self.n(x2))\" y2=\"\(Self.n(y2))\" stroke=\"\(stroke)\""
        body += " stroke-width=\"\(Self.n(width))\"\(extra)/>"
    }

    /// Text at (x, y) (y is the baseline); `anchor` is start, middle or end; `rotate` degrees about (x, y).
    mutating func text(_ x: Double, _ y: Double, _ s: String, anchor: String = "start", size: Double = 12, extra: String = "",
                       rotate: Double? = nil) {
        body += "<text x=\"\(Self.n(x))\" y=\"\(Self.n(y))\" font-size=\"\(Self.n(size))\""
        if anchor != "start" { body += " text-anchor=\"\(anchor)\"" }
        if let r = rotate { body += " transform=\"rotate(\(Self.n(r)) \(Self.n(x)) \(Self.n(y)))\"" }
        body += "\(extra)>\(HTMLReport.escape(s))</text>"
    }

    /// A path through `points`; a nil point breaks the line (a gap, e.g. non-finite scores).
    mutating func polyline(_ points: [(Double, Double)?], stroke: String, width: Double, extra: String = "") {
        var d = ""
        var pen = false
        for p in points {
            guard let (x, y) = p else { pen = false; continue }
            d += (pen ? " " : (d.isEmpty ? "M" : " M")) + Self.n(x) + "," + Self.n(y)
            pen = true
        }
        guard !d.isEmpty else { return }
        body += "<path d=\"\(d)\" fill=\"none\" stroke=\"\(stroke)\" stroke-width=\"\(Self.n(width))\" stroke-linejoin=\"round\"\(extra)/>"
    }

    /// The element: `title` is its accessible name (and tooltip); the caption lives outside, in the figure.
    func render(title: String) -> String {
        "<svg viewBox=\"0 0 \(Self.n(width)) \(Self.n(height))\" width=\"\(Self.n(width))\" "
            + "height=\"\(Self.n(height))\" role=\"img\" aria-label=\"\(HTMLReport.escape(title))\"><title>\(HTMLReport.escape(title))</title>"
            + body + "</svg>"
    }
}

/// A map from data values to pixels along one axis, linear or log10.
struct AxisScale {
    let lo: Double, hi: Double
    let p0: Double, p1: Double
    let log: Bool

    /// Pixel of value `v` (log scales clamp v to the domain's bottom first).
    func px(_ v: Double) -> Double {
        if log {
            let a = Foundation.log10(lo), b = Foundation.log10(hi)
            let x = Foundation.log10(max(v, lo))
            return p0 + (x - a) / (b - a) * (p1 - p0)
        }
        return p0 + (v - lo) / (hi - lo) * (p1 - p0)
    }

    /// Tick values inside the domain: 1-2-5 steps for linear axes, powers of ten for log axes (every k-th decade
    /// when there are many).
    func ticks(_ target: Int = 5) -> [Double] {
        if log {
            let a = Int(Foundation.log10(lo).rounded(.up)), b = Int(Foundation.log10(hi).rounded(.down))
            guard a <= b else { return [lo, hi] }
            let step = max(1, (b - a + target - 1) / target)
            return stride(from: a, through: b, by: step).map { Foundation.pow(10, Double($0)) }
        }
        let step = Self.niceStep((hi - lo) / Double(max(target, 1)))
        // Multiples k·step inside the domain (computed, not accumulated, so no drift), at most 50.
        let k0 = (lo / step - 1e-9).rounded(.up), k1 = (hi / step + 1e-9).rounded(.down)
        guard k0.isFinite, k1.isFinite, k1 >= k0 else { return [] }
        return stride(from: k0, through: min(k1, k0 + 49), by: 1).map { $0 * step }
    }

    /// The 1-2-5 × 10^k step nearest above `raw`.
    static func niceStep(_ raw: Double) -> Double {
        guard raw > 0, raw.isFinite else { return 1 }
        let e = Foundation.pow(10, Foundation.log10(raw).rounded(.down))
        let f = raw / e
        return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * e
    }

    /// A linear domain [lo, hi] widened to whole steps and padded when flat.
    static func niceLinear(_ lo: Double, _ hi: Double, p0: Double, p1: Double, target: Int = 5) -> AxisScale {
        var a = lo, b = hi
        if !(b > a) { a -= 0.5 * max(abs(a), 1); b += 0.5 * max(abs(b), 1) }
        let step = niceStep((b - a) / Double(target))
        return AxisScale(lo: (a / step).rounded(.down) * step, hi: (b / step).rounded(.up) * step, p0: p0, p1: p1, log: false)
    }

    /// A log domain widened to whole decades.
    static func niceLog(_ lo: Double, _ hi: Double, p0: Double, p1: Double) -> AxisScale {
        let a = Foundation.log10(lo).rounded(.down), b = max(Foundation.log10(hi).rounded(.up), a + 1)
        return AxisScale(lo: Foundation.pow(10, a), hi: Foundation.pow(10, b), p0: p0, p1: p1, log: true)
    }

    /// Tick label: "10^k" with a superscript (log), or the shortest decimal with the step's precision (linear).
    func label(_ v: Double) -> (text: String, superscript: String?) {
        if log {
            let k = Int(Foundation.log10(v).rounded())
            if k == 0 { return ("1", nil) }
            if k == 1 { return ("10", nil) }
            return ("10", String(k))
        }
        return (Self.decimal(v), nil)
    }

    /// A compact decimal: integers as such, otherwise up to 4 significant digits; large or tiny values as 1.2e-5.
    static func decimal(_ v: Double) -> String {
        if v == 0 { return "0" }
        let a = abs(v)
        if a >= 1e5 || a < 1e-3 { return String(format: "%.2g", v).replacingOccurrences(of: "e-0", with: "e-").replacingOccurrences(of: "e+0", with: "e") }
        if v == v.rounded() { return String(Int(v)) }
        var s = String(format: "%.4g", v)
        if s.contains(".") { while s.hasSuffix("0") { s.removeLast() } }
        return s
    }
}

/// Draws axes with ticks, tick labels, light grid lines and a title.
enum Axes {
    /// A left y axis at `x.p0` for `y` with grid lines across to `x.p1`, and its title rotated along it.
    static func left(_ c: inout SVGCanvas, y: AxisScale, x0: Double, x1: Double, title: String, ticks: Int = 5) {
        for v in y.ticks(ticks) {
            let py = y.px(v)
            c.line(x0, py, x1, py, stroke: "#e6e6e6")
            c.line(x0 - 4, py, x0, py, stroke: "#444")
            let l = y.label(v)
            if let sup = l.superscript {
                c.raw("<text x=\"\(SVGCanvas.n(x0 - 7))\" y=\"\(SVGCanvas.n(py + 4))\" font-size=\"11\" text-anchor=\"end\">"
                    + "\(l.text)<tspan dy=\"-5\" font-size=\"8\">\(HTMLReport.escape(sup))</tspan></text>")
            } else {
                c.text(x0 - 7, py + 4, l.text, anchor: "end", size: 11)
            }
        }
        c.line(x0, min(y.p0, y.p1), x0, max(y.p0, y.p1), stroke: "#444")
        let mid = (y.p0 + y.p1) / 2
        c.text(14, mid, title, anchor: "middle", size: 11, extra: " fill=\"#333\"", rotate: -90)
    }

    /// A bottom x axis at pixel row `y0` with ticks and labels, and its title below.
    static func bottom(_ c: inout SVGCanvas, x: AxisScale, y0: Double, title: String, ticks: Int = 8) {
        c.line(min(x.p0, x.p1), y0, max(x.p0, x.p1), y0, stroke: "#444")
        for v in x.ticks(ticks) {
            let px = x.px(v)
            c.line(px, y0, px, y0 + 4, stroke: "#444")
            let l = x.label(v)
            if let sup = l.superscript {   // 10^k on log axes
                c.raw("<text x=\"\(SVGCanvas.n(px))\" y=\"\(SVGCanvas.n(y0 + 16))\" font-size=\"11\" text-anchor=\"middle\">"
                    + "\(l.text)<tspan dy=\"-5\" font-size=\"8\">\(HTMLReport.escape(sup))</tspan></text>")
            } else {
                c.text(px, y0 + 16, l.text, anchor: "middle", size: 11)
            }
        }
        c.text((x.p0 + x.p1) / 2, y0 + 32, title, anchor: "middle", size: 11, extra: " fill=\"#333\"")
    }
}

/// A one-line legend drawn right-aligned in a plot's top margin.
enum Legend {
    enum Item {
        case line(colour: String, width: Double, dash: String?, label: String)
        case box(colour: String, opacity: Double, label: String)
        /// A heatmap cell outline.
        case outline(label: String)
        /// A heatmap cell dot.
        case dot(label: String)
        /// A filled or open circle.
        case marker(filled: Bool, label: String)

        var label: String {
            switch self {
            case let .line(_, _, _, l), let .box(_, _, l), let .outline(l), let .dot(l), let .marker(_, l): return l
            }
        }
    }

    /// Approximate width of `s` in the report's sans-serif font (for layout only).
    static func textWidth(_ s: String, size: Double = 11) -> Double { Double(s.count) * size * 0.55 }

    static func draw(_ c: inout SVGCanvas, items: [Item], rightEdge: Double, y: Double) {
        let widths = items.map { 24 + textWidth($0.label) + 16 }
        var x = rightEdge - widths.reduce(0, +) + 16
        for (item, w) in zip(items, widths) {
            switch item {
            case let .line(colour, width, dash, _):
                c.line(x, y - 4, x + 18, y - 4, stroke: colour, width: width, extra: dash.map { " stroke-dasharray=\"\($0)\"" } ?? "")
            case let .box(colour, opacity, _):
                c.rect(x: x + 2, y: y - 10, w: 14, h: 10, fill: colour, extra: opacity < 1 ? " fill-opacity=\"\(opacity)\"" : "")
            case .outline:
                c.rect(x: x + 2, y: y - 10, w: 14, h: 10, fill: Heatmap.colour(level: 20), extra: " stroke=\"#111\" stroke-width=\"1.6\"")
                c.rect(x: x + 3.6, y: y - 8.4, w: 10.8, h: 6.8, fill: "none", extra: " stroke=\"#fff\" stroke-width=\"1\"")
            case .dot:
                c.rect(x: x + 2, y: y - 10, w: 14, h: 10, fill: Heatmap.colour(level: 12))
                c.rect(x: x + 7, y: y - 7, w: 4, h: 4, fill: "#fff", extra: " stroke=\"#111\" stroke-width=\"0.7\"")
            case let .marker(filled, _):
                c.raw("<circle cx=\"\(SVGCanvas.n(x + 9))\" cy=\"\(SVGCanvas.n(y - 4))\" r=\"4\" "
                    + (filled ? "fill=\"#333\"/>" : "fill=\"#fff\" stroke=\"#333\"/>"))
            }
            c.text(x + 24, y, item.label, size: 11)
            x += w
        }
    }
}

/// Colours: one per model, in the summary's model order (Okabe–Ito, readable by colour-blind readers and in grey).
enum Palette {
    static let models = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"]
    static func model(_ index: Int) -> String { models[((index % models.count) + models.count) % models.count] }
    /// Shading of labelled anomaly segments (test labels).
    static let labelled = "#f4a582"
    static let threshold = "#222222"
}
