import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import VigilExperiments
import VigilMetrics
import VigilResults
import VigilScores
import XCTest
@testable import VigilReport
@testable import VigilTranAD

/// Builds a tiny run directory with the writers `vigil run` uses (MachineMetrics, ScoreFile, LabelStore, LossLog,
/// RunSummary) and checks the structure of the HTML report rendered from it.
final class HTMLReportTests: XCTestCase {
    static let hostileMachine = "m<b>&\"x'"
    static let hostileModel = "<i>f&o'rest\""
    static let plainMachine = "machine-b"

    /// A run directory of two machines and two models: tranad (4 per-dimension scores) and a hostile-named model with
    /// one score per row. The hostile machine has two detected tranad segments and a loss.csv; machine-b flags
    /// nothing for tranad (threshold above every score) and has no loss.csv.
    func makeRun() throws -> (RunSummary, RunLayout) {
        let root = NSTemporaryDirectory() + "vigil-report-\(UUID().uuidString)"
        addTeardownBlock { try? FileManager.default.removeItem(atPath: root) }
        let layout = RunLayout(root: root)
        let T = 200, D = 4
        let models = ["tranad", Self.hostileModel]
        var all: [MachineMetrics] = []
        for (name, tranadThreshold) in [(Self.hostileMachine, 0.5), (Self.plainMachine, 1e9)] {
            let dir = layout.machine(name)
            try FileManager.default.createDirectory(atPath: dir + "/scores", withIntermediateDirectories: true)
            // Per-dimension scores (T × D): 0.10 … 0.19 everywhere; rows 50…59 dims 1 and 2 at 5; row 150 dim 3 at 100.
            func base(_ t: Int, _ d: Int) -> Double { 0.1 + 0.01 * Double((t * 7 + d * 3) % 10) }
            let train = (0..<T).flatMap { t in (0..<D).map { base(t, $0) } }
            var test = train
            for t in 50...59 { test[t * D + 1] = 5; test[t * D + 2] = 5 }
            test[150 * D + 3] = 100
            try ScoreFile.write(StoredScores(train: ScoreSet(model: "tranad", perDimension: train, rows: T, dims: D),
                                             test: ScoreSet(model: "tranad", perDimension: test, rows: T, dims: D)),
                                to: dir + "/" + RunLayout.MachineFile.scores("tranad"))
            let agg = (0..<T).map { 0.3 + 0.3 * Double(($0 * 13) % 17) / 17 }
            try ScoreFile.write(StoredScores(train: ScoreSet(model: Self.hostileModel, aggregate: agg), test: ScoreSet(model: Self.hostileModel, aggregate: agg)),
                                to: dir + "/" + RunLayout.MachineFile.scores(Self.hostileModel))
            // Labels: rows 48…60 anomalous, dims 1 and 2 labelled there.
            let labels = (0..<T).map { (48...60).contains($0) }
            let interp = (0..<T).flatMap { t in (0..<D).map { d in labels[t] && (d == 1 || d == 2) } }
            try LabelStore.write(EvaluationLabelArrays(labels: labels, interpretation: interp, dimensions: D), sourceSHA256: ["test": "ab"],
                                 to: dir + "/" + RunLayout.MachineFile.labels)
            if name == Self.hostileMachine {
                let log = LossLog()
                for e in 1...2 {
                    for b in 1...5 {
                        log.record(model: "tranad", progress: TranADProgress(epoch: e, epochs: 2, batch: b, batches: 5, meanLoss: 1.0 / Double(e + b),
                                                                             batchLoss: 1.0 / Double(e * b), learningRate: 1e-4))
                    }
                }
                try log.csv.write(toFile: dir + "/" + RunLayout.MachineFile.loss, atomically: true, encoding: .utf8)
            }
            func model(_ threshold: Double, f1: Double) -> ModelMetrics {
                ModelMetrics(thresholdMethod: "pot_train", flat: ["threshold": threshold, "pw_f1": f1, "roc_auc": 0.9, "pa_f1": 0.95],
                             calibrations: [:], calibrationFailures: [:], potFit: nil,
                             oracle: OracleBound(threshold: 0.4, pwF1: 0.8, paThreshold: 0.3, paF1: 0.99))
            }
            let m = MachineMetrics(machine: name, configSHA256: "c0ffee", config: .object([:]),
                                   dataset: DatasetFacts(name: "smd", trainRows: T, testRows: T, dimensions: D, anomalousTestPoints: 13,
                                                         anomalySegments: 1, sourceSHA256: ["test": "ab"]),
                                   models: ["tranad": model(tranadThreshold, f1: 0.5), Self.hostileModel: model(0.55, f1: 0.25)],
                                   failures: [:], modelOrder: models)
            try m.jsonData().write(to: URL(fileURLWithPath: dir + "/" + RunLayout.MachineFile.metrics))
            all.append(m)
        }
        let config = JSONValue.object(["models": .array([.string("tranad"), .string(Self.hostileModel)]),
                                       "tranad": .object(["epochs": .int(2), "lr": .double(1e-4)]), "seed": .int(0)])
        let manifest = RunManifest(configSHA256: "c0ffee", config: config, created: "2026-01-01T00:00:00Z", vigilVersion: "test",
                                   command: "vigil run")
        let summary = RunSummary(manifest: manifest, seed: "0", models: models, metrics: all, provenance: [:], incomplete: [:],
                                 environment: nil, wallSeconds: 1.5, created: "2026-01-01T00:00:00Z")
        return (summary, layout)
    }

    /// Element tree facts collected by XMLParser (the report is XHTML-compatible, so it parses as XML).
    final class Collector: NSObject, XMLParserDelegate {
        var stack: [String] = []
        var counts: [String: Int] = [:]
        var svgParents: [String] = []
        var attributeValues: [String] = []
        var text = ""
        /// Header cells: (row index, class, text).
        var headerCells: [(row: Int, cls: String, text: String)] = []
        var rows = 0
        var inTH: (cls: String, text: String)?

        func parser(_ p: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String]) {
            if name == "svg" { svgParents.append(stack.last ?? "") }
            if name == "tr" { rows += 1 }
            if name == "th" { inTH = (attributes["class"] ?? "", "") }
            stack.append(name)
            counts[name, default: 0] += 1
            attributeValues += attributes.values
        }

        func parser(_ p: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            stack.removeLast()
            if name == "th", let th = inTH { headerCells.append((rows, th.cls, th.text)); inTH = nil }
        }

        func parser(_ p: XMLParser, foundCharacters s: String) {
            text += s
            inTH?.text += s
        }
    }

    func parse(_ html: String) throws -> Collector {
        let c = Collector()
        let p = XMLParser(data: Data(html.utf8))
        p.delegate = c
        XCTAssertTrue(p.parse(), "report.html is not well-formed: \(p.parserError.map { "\($0)" } ?? "?") at line \(p.lineNumber)")
        XCTAssertEqual(c.stack, [], "unclosed elements")
        return c
    }

    func testReportIsWellFormedSelfContainedAndHasOneSVGPerPlot() throws {
        let (summary, layout) = try makeRun()
        let html = HTMLReport.render(summary, layout: layout)
        let c = try parse(html)
        // 2 bar charts; hostile machine: 2 score plots + loss + tranad heatmap; machine-b: 2 score plots (tranad flags
        // nothing: no heatmap; no loss.csv: no loss plot).
        XCTAssertEqual(c.counts["svg"], 8)
        XCTAssertEqual(c.svgParents, Array(repeating: "figure", count: 8))
        XCTAssertEqual(c.counts["figcaption"], 8)
        XCTAssertEqual(c.counts["section", default: 0], 6 + 2)  // 6 report sections + one per machine
        XCTAssertTrue(html.contains("flags no test rows at the exported threshold: no segments to attribute"))
        // Self-contained: no scripts, no URLs of any kind, no external style sheets.
        XCTAssertNil(c.counts["script"]); XCTAssertNil(c.counts["link"]); XCTAssertNil(c.counts["img"])
        XCTAssertFalse(html.lowercased().contains("<script"))
        XCTAssertFalse(html.contains("http://")); XCTAssertFalse(html.contains("https://"))
        XCTAssertFalse(c.attributeValues.contains { $0.lowercased().hasPrefix("http") || $0.contains("url(") })
        // The heatmap shows both tranad segments (rows 50–59 and row 150) of the hostile machine.
        XCTAssertTrue(html.contains("rows 50–59")); XCTAssertTrue(html.contains("row 150<"))
        XCTAssertTrue(html.contains("all 2 detected segments, in time order"))
        // Deterministic.
        XCTAssertEqual(HTMLReport.render(summary, layout: layout), html)
    }

    func testDamagedMachineFilesBecomeNotesNotFailures() throws {
        let (summary, layout) = try makeRun()
        let dir = layout.machine(Self.plainMachine) + "/"
        try Data("not hdf5".utf8).write(to: URL(fileURLWithPath: dir + RunLayout.MachineFile.scores("tranad")))
        try FileManager.default.removeItem(atPath: dir + RunLayout.MachineFile.labels)
        try "model,epoch\n1,2\n".write(toFile: dir + RunLayout.MachineFile.loss, atomically: true, encoding: .utf8)
        let html = HTMLReport.render(summary, layout: layout)
        let c = try parse(html)
        // Bars 2 + hostile machine 4 + machine-b: only the second model's score plot.
        XCTAssertEqual(c.counts["svg"], 7)
        XCTAssertTrue(html.contains("scores/tranad.h5 is unreadable"))
        XCTAssertTrue(html.contains("labels.h5 is unreadable"))
        XCTAssertTrue(html.contains("loss.csv does not parse"))
    }

    func testOracleColumnsArePresentLabelledAndSetApart() throws {
        let (summary, layout) = try makeRun()
        let c = try parse(HTMLReport.render(summary, layout: layout))
        let oracleHeaders = c.headerCells.filter { $0.text.contains("ORACLE") }
        // Two tables × (group header + ORACLE F1 + ORACLE PA-F1), and the legacy table's ORACLE PA-F1.
        XCTAssertEqual(oracleHeaders.count, 7)
        XCTAssertTrue(oracleHeaders.allSatisfy { $0.cls.contains("oracle") }, "every ORACLE header is styled apart")
        XCTAssertEqual(oracleHeaders.filter { $0.text == "ORACLE F1" }.count, 2)
        XCTAssertEqual(oracleHeaders.filter { $0.text == "ORACLE PA-F1" }.count, 3)
        XCTAssertTrue(oracleHeaders.contains { $0.text.contains("tuned on test labels") })
        // In every header row the ORACLE columns come after all the others, the first behind the separating rule.
        for row in Set(oracleHeaders.map(\.row)) {
            let cells = c.headerCells.filter { $0.row == row }
            let first = cells.firstIndex { $0.text.contains("ORACLE") }!
            XCTAssertTrue(cells[first...].allSatisfy { $0.text.contains("ORACLE") })
            XCTAssertTrue(cells[first].cls.contains("sep"))
        }
        // Headline metrics first: VUS-PR, PR-AUC, ROC-AUC, then F1 at the exported threshold.
        let metricRow = c.headerCells.filter { $0.row == oracleHeaders[1].row }.map(\.text)
        XCTAssertEqual(Array(metricRow.prefix(6)), ["model", "n", "VUS-PR", "PR-AUC", "ROC-AUC", "F1"])
    }

    func testHostileNamesAreEscapedEverywhere() throws {
        let (summary, layout) = try makeRun()
        let html = HTMLReport.render(summary, layout: layout)
        XCTAssertFalse(html.contains(Self.hostileMachine)); XCTAssertFalse(html.contains(Self.hostileModel))
        XCTAssertFalse(html.contains("m<b>")); XCTAssertFalse(html.contains("<i>f"))
        XCTAssertTrue(html.contains("m&lt;b&gt;&amp;&quot;x&#39;"))
        XCTAssertTrue(html.contains("&lt;i&gt;f&amp;o&#39;rest&quot;"))
        // …and they come back intact as text (in headings, tables, plot titles and the config).
        let c = try parse(html)
        XCTAssertTrue(c.text.contains(Self.hostileMachine))
        XCTAssertTrue(c.text.contains(Self.hostileModel))
        XCTAssertNil(c.counts["i"])  // the model name made no <i> element
    }

    func testEnvelopeKeepsEveryExtremeInTimeOrder() {
        // 10 rows into 3 columns: rows 0–2, 3–5, 6–9. The one-row spike (row 4) and dip (row 8) survive.
        let v: [Double] = [1, 2, 1, 1, 50, 1, 3, 2, -7, 2]
        let e = Envelope(v, columns: 3)
        XCTAssertEqual(e.columns.map(\.first), [0, 3, 6]); XCTAssertEqual(e.columns.map(\.last), [2, 5, 9])
        XCTAssertEqual(e.columns.map { $0.values!.0 }, [1, 1, 3])   // earlier extreme
        XCTAssertEqual(e.columns.map { $0.values!.1 }, [2, 50, -7]) // later extreme
        // Non-finite values are skipped; an all-NaN column is a gap; fewer rows than columns: one column per row.
        XCTAssertNil(Envelope([.nan, .nan, 1, 2], columns: 2).columns[0].values)
        XCTAssertEqual(Envelope([4, 5], columns: 100).columns.count, 2)
    }

    func testLossCurvesReadWhatLossLogWrites() throws {
        let log = LossLog()
        for b in 1...3 {
            log.record(model: "tranad", progress: TranADProgress(epoch: 1, epochs: 2, batch: b, batches: 3, meanLoss: Double(4 - b),
                                                                 batchLoss: Double(b), learningRate: 1e-4))
        }
        log.record(model: "tranad", progress: TranADProgress(epoch: 2, epochs: 2, batch: 1, batches: 1, meanLoss: 0.5, batchLoss: 0.5,
                                                             learningRate: 1e-4))
        let c = try XCTUnwrap(LossCurves.parse(log.csv))
        XCTAssertEqual(c.models, ["tranad"])
        XCTAssertEqual(c.rows["tranad"]?.map(\.batchLoss), [1, 2, 3, 0.5])
        XCTAssertEqual(LossCurves.positions(c.rows["tranad"]!), [1.0 / 3, 2.0 / 3, 1, 2])
        XCTAssertEqual(LossCurves.epochMeans(c.rows["tranad"]!).map(\.loss), [1, 0.5])  // running mean at each epoch's last batch
        XCTAssertNil(LossCurves.parse("model,epoch\ntranad,1\n"))
        XCTAssertNil(LossCurves.parse(log.csv + "tranad,x,1,1,1,1\n"))
    }

    func testAttributionFigureCapsSegmentsAndColumns() throws {
        // 100 dimensions, training scores all 1 (baselines 1). Test rows 2, 6, 10, 14 are single-row segments with
        // dimension d at 2 + d/10 + k (k = 0, 3, 1, 2); every other row is 1 (aggregate 1 < threshold 1.5).
        let T = 20, D = 100
        let train = ScoreSet(model: "t", perDimension: Array(repeating: 1, count: T * D), rows: T, dims: D)
        var v = [Double](repeating: 1, count: T * D)
        for (row, k) in [(2, 0.0), (6, 3.0), (10, 1.0), (14, 2.0)] { for d in 0..<D { v[row * D + d] = 2 + Double(d) / 10 + k } }
        let test = ScoreSet(model: "t", perDimension: v, rows: T, dims: D)
        let f = try AttributionFigure(train: train, test: test, threshold: 1.5, labels: nil, interpretation: nil, cap: 3)
        XCTAssertEqual(f.totalSegments, 4)
        XCTAssertEqual(f.rows.map(\.segment.start), [6, 10, 14])  // the lowest peak (row 2) is left out; time order kept
        XCTAssertEqual(f.columns, Array(20..<100))                  // the 80 most elevated dimensions
        XCTAssertEqual(f.rows[0].profile.meanElevation[99], 2 + 9.9 + 3, accuracy: 1e-12)
        XCTAssertNil(f.rows[0].overlapsLabel)
        let svg = Heatmap.render(machine: "m", model: "t", figure: f)
        XCTAssertTrue(svg.contains("3 of 4 detected segments shown (highest peak score), in time order; 80 of 100 dimensions shown"))
        XCTAssertThrowsError(try AttributionFigure(train: ScoreSet(model: "f", aggregate: [1]), test: ScoreSet(model: "f", aggregate: [1]),
                                                   threshold: 0, labels: nil, interpretation: nil))
    }

    func testAxisTicksAndLogChoice() {
        let lin = AxisScale.niceLinear(0.23, 0.81, p0: 0, p1: 1, target: 4)   // step 0.2 → [0.2, 1.0]
        XCTAssertEqual(lin.lo, 0.2, accuracy: 1e-12); XCTAssertEqual(lin.hi, 1.0, accuracy: 1e-12)
        let lt = lin.ticks(4)
        XCTAssertEqual(lt.count, 5)
        for (a, b) in zip(lt, [0.2, 0.4, 0.6, 0.8, 1.0]) { XCTAssertEqual(a, b, accuracy: 1e-12) }
        // log10 0.002 … 3e6 → decades −3 … 7, every 2nd labelled.
        let lg = AxisScale.niceLog(0.002, 3e6, p0: 0, p1: 1).ticks(5)
        XCTAssertEqual(lg.map { Int(log10($0).rounded()) }, [-3, -1, 1, 3, 5, 7])
        XCTAssertEqual(AxisScale(lo: 1e-3, hi: 1e7, p0: 0, p1: 1, log: true).label(1e-3).superscript, "-3")
        // Log when the top is ≥ 100 × the 1st percentile of the positive scores and ≤ 1 % are ≤ 0.
        XCTAssertTrue(ScorePlot.prefersLog([1e-4, 1e-3, 1e-2, 1e-1, 1]))       // P1 ≈ 1.4e-4
        XCTAssertFalse(ScorePlot.prefersLog((0...100).map { 0.3 + Double($0) / 200 }))  // 0.3 … 0.8
        XCTAssertFalse(ScorePlot.prefersLog([-1, 1e-4, 1e-3, 1e-2, 1e-1, 1]))  // a negative score: linear
    }
}
