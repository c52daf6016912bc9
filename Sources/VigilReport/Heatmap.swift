// The per-dimension attribution of detected segments of one model on one machine, as a heatmap.
import Foundation
import VigilScores

/// The data of one attribution heatmap: detected segments at the exported threshold and their profiles.
///
/// Segments are the maximal runs of flagged test rows (aggregate score > exported threshold, `AnomalySegment.find`);
/// each gets the serving rule's profile (`SegmentAttribution`: per dimension the mean of score/baseline over the
/// segment, baseline = max(P95 of that dimension's TRAINING scores, 1e-8)). When there are more than `cap` segments,
/// the `cap` with the highest peak score are shown, in time order, and the figure says how many there were. With more
/// than `maxColumns` dimensions, the `maxColumns` with the highest elevation in any shown segment are the columns.
struct AttributionFigure {
    struct Row {
        var segment: AnomalySegment
        var profile: SegmentProfile
        /// Dimensions the serving rule attributes the segment to.
        var attributed: Set<Int>
        /// Dimensions labelled anomalous on some row of the segment (test interpretation labels), when available.
        var labelledDimensions: Set<Int>?
        /// The segment overlaps a labelled anomaly (test labels): a detection rather than a false alarm.
        var overlapsLabel: Bool?
    }
    static let cap = 40
    static let maxColumns = 80

    var rows: [Row]
    var totalSegments: Int
    var dimensions: Int
    /// The dimensions drawn as columns, ascending (all of them unless there are more than `maxColumns`).
    var columns: [Int]

    /// Builds the figure's data; throws `AttributionError` when the model has no per-dimension scores.
    init(train: ScoreSet, test: ScoreSet, threshold: Double, labels: [Bool]?, interpretation: [Bool]?, cap: Int = AttributionFigure.cap) throws {
        let attribution = try SegmentAttribution(training: train)
        guard test.dims == attribution.baselines.count else {
            throw AttributionError.dimensionMismatch(baselines: attribution.baselines.count, scores: test.dims)
        }
        let all = AnomalySegment.find(in: test.aggregate, threshold: threshold)
        totalSegments = all.count
        dimensions = test.dims
        var chosen = all
        if all.count > cap {
            let keep = all.indices.sorted { all[$0].peakScore != all[$1].peakScore ? all[$0].peakScore > all[$1].peakScore : $0 < $1 }
            chosen = keep.prefix(cap).sorted().map { all[$0] }
        }
        let D = test.dims
        let labels = labels?.count == test.rows ? labels : nil
        let interp = interpretation?.count == test.rows * D ? interpretation : nil
        rows = try chosen.map { seg in
            let p = try attribution.profile(of: seg, in: test)
            var labelled: Set<Int>? = nil
            if let interp {
                var s = Set<Int>()
                for t in seg.start...seg.end { for d in 0..<D where interp[t * D + d] { s.insert(d) } }
                labelled = s
            }
            return Row(segment: seg, profile: p, attributed: Set(SegmentAttribution.attributedDimensions(p).map(\.dim)),
                       labelledDimensions: labelled, overlapsLabel: labels.map { l in (seg.start...seg.end).contains { l[$0] } })
        }
        if D <= Self.maxColumns {
            columns = Array(0..<D)
        } else {
            let shown = rows
            let peak = (0..<D).map { d in shown.map { $0.profile.meanElevation[d] }.filter { !$0.isNaN }.max() ?? -.infinity }
            columns = (0..<D).sorted { peak[$0] != peak[$1] ? peak[$0] > peak[$1] : $0 < $1 }.prefix(Self.maxColumns).sorted()
        }
    }
}

/// Draws an `AttributionFigure`: rows = segments (time order), columns = dimensions, colour = mean elevation on a
/// log10 scale from 1× (baseline) to the decade at or above the 95th percentile of the shown cells (higher values
/// take the darkest colour), quantised to `levels` colours (the colour bar shows them); ≤ 1× takes the lightest
/// colour, NaN is grey. Outlined cells: the dimensions the serving rule
/// attributes; white dots: dimensions labelled in the test interpretation labels. Left of each row, a filled circle
/// marks a segment that overlaps a labelled anomaly, an open one a false alarm.
enum Heatmap {
    static let levels = 24
    /// YlOrRd (ColorBrewer), light to dark.
    static let ramp: [(Double, Double, Double)] = [
        (255, 255, 204), (255, 237, 160), (254, 217, 118), (254, 178, 76), (253, 141, 60), (252, 78, 42), (227, 26, 28),
        (189, 0, 38), (128, 0, 38),
    ]

    /// Colour of level k in 0..<levels.
    static func colour(level k: Int) -> String {
        let t = Double(k) / Double(levels - 1) * Double(ramp.count - 1)
        let i = min(Int(t), ramp.count - 2), f = t - Double(i)
        let a = ramp[i], b = ramp[i + 1]
        func ch(_ u: Double, _ v: Double) -> Int { Int((u + (v - u) * f).rounded()) }
        return String(format: "#%02x%02x%02x", ch(a.0, b.0), ch(a.1, b.1), ch(a.2, b.2))
    }

    static func render(machine: String, model: String, figure f: AttributionFigure) -> String {
        let width = 1100.0
        let labelW = 150.0, markW = 18.0, top = 72.0, rowH = 14.0
        let x0 = labelW + markW
        let cols = f.columns
        let cell = min(24, (width - 20 - x0) / Double(max(cols.count, 1)))
        let gridBottom = top + rowH * Double(f.rows.count)
        let height = gridBottom + 66
        var c = SVGCanvas(width: width, height: height)
        let title = "\(machine) · \(model): attribution of detected segments"
        // Colour scale top: the decade at or above the 95th percentile of the shown elevations (at least 10×), so one
        // extreme cell does not wash out the rest; higher elevations take the darkest colour.
        let shownE = f.rows.flatMap(\.profile.meanElevation).filter(\.isFinite)
        let topE = shownE.isEmpty ? 10 : SegmentAttribution.percentile(shownE, 95)
        let decades = min(max(1, Int(log10(max(topE, 10)).rounded(.up))), 8)
        func level(_ e: Double) -> Int? {
            guard !e.isNaN else { return nil }
            let t = e <= 1 ? 0 : min(log10(e) / Double(decades), 1)
            return min(Int(t * Double(levels)), levels - 1)
        }

        // Cells, one path per colour level.
        var paths = [String](repeating: "", count: levels)
        var grey = "", outline = "", inner = "", dots = ""
        for (r, row) in f.rows.enumerated() {
            let y = top + rowH * Double(r)
            for (j, d) in cols.enumerated() {
                let x = x0 + cell * Double(j)
                let box = "M\(SVGCanvas.n(x)),\(SVGCanvas.n(y))h\(SVGCanvas.n(cell))v\(SVGCanvas.n(rowH))h\(SVGCanvas.n(-cell))z"
                if let k = level(row.profile.meanElevation[d]) { paths[k] += box } else { grey += box }
                if row.attributed.contains(d) {
                    outline += "M\(SVGCanvas.n(x + 1)),\(SVGCanvas.n(y + 1))h\(SVGCanvas.n(cell - 2))v\(SVGCanvas.n(rowH - 2))h\(SVGCanvas.n(2 - cell))z"
                    inner += "M\(SVGCanvas.n(x + 2.6)),\(SVGCanvas.n(y + 2.6))h\(SVGCanvas.n(cell - 5.2))v\(SVGCanvas.n(rowH - 5.2))h\(SVGCanvas.n(5.2 - cell))z"
                }
                if row.labelledDimensions?.contains(d) == true {
                    dots += "M\(SVGCanvas.n(x + cell / 2 - 2)),\(SVGCanvas.n(y + rowH / 2 - 2))h4v4h-4z"
                }
            }
            let start = row.segment.start, end = row.segment.end
            c.text(labelW - 4, y + rowH - 3.5, start == end ? "row \(start)" : "rows \(start)–\(end)", anchor: "end", size: 10)
            if let o = row.overlapsLabel {
                c.raw("<circle cx=\"\(SVGCanvas.n(labelW + markW / 2))\" cy=\"\(SVGCanvas.n(y + rowH / 2))\" r=\"4\" "
                    + (o ? "fill=\"#333\"/>" : "fill=\"#fff\" stroke=\"#333\"/>"))
            }
        }
        for (k, d) in paths.enumerated() where !d.isEmpty { c.raw("<path d=\"\(d)\" fill=\"\(colour(level: k))\"/>") }
        if !grey.isEmpty { c.raw("<path d=\"\(grey)\" fill=\"#bbbbbb\"/>") }
        // Black outline with a white inner line: visible on light and on dark cells.
        if !outline.isEmpty {
            c.raw("<path d=\"\(outline)\" fill=\"none\" stroke=\"#111\" stroke-width=\"1.6\"/>")
            c.raw("<path d=\"\(inner)\" fill=\"none\" stroke=\"#fff\" stroke-width=\"1\"/>")
        }
        if !dots.isEmpty { c.raw("<path d=\"\(dots)\" fill=\"#fff\" stroke=\"#111\" stroke-width=\"0.7\"/>") }

        // Dimension indices above the columns (every one when they fit, else every 5th).
        let every = cell >= 14 ? 1 : 5
        for j in stride(from: 0, to: cols.count, by: every) {
            c.text(x0 + cell * (Double(j) + 0.5), top - 4, String(cols[j]), anchor: "middle", size: 9, extra: " fill=\"#444\"")
        }
        c.text(x0 - 4, top - 4, "dimension", anchor: "end", size: 10, extra: " fill=\"#333\"")

        // Colour bar: the quantised levels from 1× to 10^decades ×.
        let barY = gridBottom + 14, barX = x0, barW = min(max(100 * Double(decades), 180), 480), step = barW / Double(levels)
        for k in 0..<levels { c.rect(x: barX + step * Double(k), y: barY, w: step + 0.3, h: 10, fill: colour(level: k)) }
        for j in 0...decades {
            let px = barX + barW * Double(j) / Double(decades)
            c.line(px, barY + 10, px, barY + 14, stroke: "#444")
            c.raw("<text x=\"\(SVGCanvas.n(px))\" y=\"\(SVGCanvas.n(barY + 25))\" font-size=\"10\" text-anchor=\"middle\">"
                + (j == 0 ? "≤1×" : j == decades ? "≥" : "") + (j == 0 ? "" : j == 1 ? "10×" : "10<tspan dy=\"-4\" font-size=\"7\">\(j)</tspan><tspan dy=\"4\">×</tspan>") + "</text>")
        }
        c.text(barX, barY + 42, "mean elevation over the segment: score / baseline (baseline = P95 of the dimension's training scores; log scale)",
               size: 10, extra: " fill=\"#333\"")

        c.text(10, 18, "\(model): attribution of detected segments", size: 13, extra: " font-weight=\"600\"")
        let shown = f.rows.count < f.totalSegments
            ? "\(f.rows.count) of \(f.totalSegments) detected segments shown (highest peak score), in time order"
            : f.totalSegments == 1 ? "the one detected segment" : "all \(f.totalSegments) detected segments, in time order"
        let dims = cols.count < f.dimensions ? "; \(cols.count) of \(f.dimensions) dimensions shown (highest elevation)" : ""
        c.text(10, 36, shown + dims, size: 11, extra: " fill=\"#555\"")
        var items: [Legend.Item] = [.outline(label: "attributed by the serving rule")]
        if f.rows.contains(where: { $0.labelledDimensions != nil }) { items.append(.dot(label: "labelled dimension (test)")) }
        if f.rows.contains(where: { $0.overlapsLabel != nil }) {
            items.append(.marker(filled: true, label: "overlaps a labelled anomaly"))
            items.append(.marker(filled: false, label: "false alarm"))
        }
        Legend.draw(&c, items: items, rightEdge: width - 20, y: 18)
        return c.render(title: title)
    }
}
