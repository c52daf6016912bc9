import XCTest
@testable import VigilData

final class SyntheticAnomaliesTests: XCTestCase {
    func block(_ n: Int, _ d: Int, phase: Double = 0) -> DataMatrix {
        DataMatrix(rows: n, cols: d, values: (0..<(n * d)).map { 0.5 + 0.2 * sin(Double($0 / d) * 0.1 + Double($0 % d) + phase) })
    }

    func testInjectionIsSeededLabelledAndOnlyTouchesLabelledRowsAndChosenDimensions() {
        let ref = block(500, 8), b = block(400, 8, phase: 1)
        let s = SyntheticAnomalySettings(rate: 0.1, minLength: 5, maxLength: 20)
        let a = SyntheticAnomalies.inject(into: b, reference: ref, settings: s, seed: 7)
        let again = SyntheticAnomalies.inject(into: b, reference: ref, settings: s, seed: 7)
        XCTAssertEqual(a.data, again.data)
        XCTAssertEqual(a.anomalies, again.anomalies)
        XCTAssertNotEqual(a.data, SyntheticAnomalies.inject(into: b, reference: ref, settings: s, seed: 8).data)
        // the rate is reached (and not overshot by more than one segment)
        let covered = a.labels.filter { $0 == 1 }.count
        XCTAssertGreaterThanOrEqual(covered, 40)
        XCTAssertLessThan(covered, 40 + 20)
        // labels are exactly the union of the anomalies; anomalies are separated by at least one clean row
        var expected = [UInt8](repeating: 0, count: 400)
        for x in a.anomalies { for r in x.start..<x.end { expected[r] = 1 } }
        XCTAssertEqual(a.labels, expected)
        for (p, q) in zip(a.anomalies, a.anomalies.dropFirst()) { XCTAssertGreaterThan(q.start, p.end) }
        // outside the anomalies and their dimensions nothing changed
        for r in 0..<400 {
            let dims = Set(a.anomalies.filter { $0.start <= r && r < $0.end }.flatMap(\.dimensions))
            for c in 0..<8 where !dims.contains(c) { XCTAssertEqual(a.data[r, c], b[r, c], "row \(r) dim \(c)") }
        }
        for x in a.anomalies {
            XCTAssertTrue((1...2).contains(x.dimensions.count), "1…D/4 dimensions")
            switch x.kind {
            case .spike: XCTAssertEqual(x.end - x.start, 1)
            case .flatline:
                for c in x.dimensions { for r in x.start..<x.end { XCTAssertEqual(a.data[r, c], b[x.start, c]) } }
            case .levelShift:
                for c in x.dimensions {
                    let shift = a.data[x.start, c] - b[x.start, c]
                    XCTAssertGreaterThan(abs(shift), 0.02)
                    for r in x.start..<x.end { XCTAssertEqual(a.data[r, c] - b[r, c], shift, accuracy: 1e-12) }
                }
            case .variance: XCTAssertGreaterThanOrEqual(x.end - x.start, 5)
            }
        }
        // with many anomalies every kind is drawn
        let many = SyntheticAnomalies.inject(into: block(4000, 8), reference: ref, settings: SyntheticAnomalySettings(rate: 0.2, maxLength: 20), seed: 7)
        XCTAssertGreaterThan(many.anomalies.count, 40)
        XCTAssertEqual(Set(many.anomalies.map(\.kind)), Set(SyntheticAnomalyKind.allCases))
    }

    func testOnlyRequestedKindsAndEmptyCases() {
        let ref = block(200, 4), b = block(200, 4)
        let s = SyntheticAnomalySettings(kinds: [.spike], rate: 0.05)
        let a = SyntheticAnomalies.inject(into: b, reference: ref, settings: s, seed: 1)
        XCTAssertEqual(Set(a.anomalies.map(\.kind)), [.spike])
        XCTAssertEqual(a.labels.filter { $0 == 1 }.count, 10)
        let none = SyntheticAnomalies.inject(into: DataMatrix(rows: 0, cols: 4), reference: ref, settings: s, seed: 1)
        XCTAssertTrue(none.anomalies.isEmpty)
    }
}
