import Foundation
import XCTest
@testable import VigilMetrics

/// Goldens written by scripts/golden_vus_tsbad.py with TSB-AD's own `generate_curve(..., 'opt', 250)`.
struct VUSGoldenFile: Decodable {
    struct Result: Decodable {
        var window: Int
        var vus_roc: Double
        var vus_pr: Double
    }
    struct Case: Decodable {
        var name: String
        var labels: String
        var scores: [Double]
        var distinct_raw: Int
        var distinct_scaled: Int
        var results: [Result]
        var per_buffer_window: Int
        var per_buffer_roc: [Double]
        var per_buffer_pr: [Double]
        var labelBools: [Bool] { labels.map { $0 == "1" } }
    }
    var tsb_ad_version: String
    var windows: [Int]
    var cases: [Case]

    static func load() throws -> VUSGoldenFile {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "vus_tsbad", withExtension: "json", subdirectory: "Goldens"))
        return try JSONDecoder().decode(VUSGoldenFile.self, from: Data(contentsOf: url))
    }
}

final class VUSGoldenTests: XCTestCase {
    /// Largest |Swift − TSB-AD| over all cases must stay ≤ 1e-9 (the bound is 1e-3).
    static let tolerance = 1e-9

    func testAgreesWithTSBAD() throws {
        let golden = try VUSGoldenFile.load()
        XCTAssertGreaterThanOrEqual(golden.cases.count, 15)
        XCTAssertEqual(golden.windows, [0, 1, 5, 20, 100])
        var maxROC = 0.0, maxPR = 0.0
        for c in golden.cases {
            XCTAssertEqual(c.scores.count, c.labels.count, c.name)
            for r in c.results {
                let v = try XCTUnwrap(try VUS.compute(scores: c.scores, labels: c.labelBools, window: r.window), c.name)
                maxROC = max(maxROC, abs(v.roc - r.vus_roc))
                maxPR = max(maxPR, abs(v.pr - r.vus_pr))
                XCTAssertEqual(v.roc, r.vus_roc, accuracy: Self.tolerance, "\(c.name) w=\(r.window) VUS-ROC")
                XCTAssertEqual(v.pr, r.vus_pr, accuracy: Self.tolerance, "\(c.name) w=\(r.window) VUS-PR")
                XCTAssertEqual(v.window, r.window)
                XCTAssertEqual(v.rocPerBuffer.count, r.window + 1)
            }
            let full = try XCTUnwrap(try VUS.compute(scores: c.scores, labels: c.labelBools, window: c.per_buffer_window))
            for w in 0...c.per_buffer_window {
                XCTAssertEqual(full.rocPerBuffer[w], c.per_buffer_roc[w], accuracy: Self.tolerance, "\(c.name) buffer \(w) ROC")
                XCTAssertEqual(full.prPerBuffer[w], c.per_buffer_pr[w], accuracy: Self.tolerance, "\(c.name) buffer \(w) PR")
            }
            // The scaling reproduces sklearn's ties (the offset case merges neighbours 1 ulp apart).
            XCTAssertEqual(Set(VUS.minMaxScaled(c.scores)).count, c.distinct_scaled, c.name)
            XCTAssertEqual(Set(c.scores).count, c.distinct_raw, c.name)
        }
        print("VUS golden max |diff| vs TSB-AD \(golden.tsb_ad_version): VUS-ROC \(maxROC), VUS-PR \(maxPR)")
    }
}
