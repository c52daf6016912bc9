import Foundation
import XCTest
@testable import VigilThresholds

/// Golden file written by scripts/make_spot_goldens.py (the independent scipy implementation in scripts/spot_reference.py).
private struct GoldenFile: Decodable {
    struct Case: Decodable {
        var name: String
        var kind: String
        var q: Double
        var level: Double
        var full_positive_interval: Bool
        var mode: String?
        var depth: Int?
        var scale: Double?
        var calibration: String
        var stream: String
        var expected: Expected
    }
    struct Expected: Decodable {
        var initial_threshold: Double
        var level_used: Double
        var attempts: Int
        var peaks: Int
        var gamma: Double
        var sigma: Double
        var log_likelihood: Double
        var extreme_quantile: Double
        var alarms: Int
        var alarm_indices: [Int]
        var final_gamma: Double
        var final_sigma: Double
        var final_extreme_quantile: Double
        var final_peaks: Int
        var threshold: Double
        var mean_threshold: Double?
    }
    var inputs: [String: [Double]]
    var cases: [Case]
}

final class SPOTGoldenTests: XCTestCase {
    private func load() throws -> GoldenFile {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "spot_goldens", withExtension: "json", subdirectory: "Goldens"))
        return try JSONDecoder().decode(GoldenFile.self, from: Data(contentsOf: url))
    }

    private func assertRel(_ a: Double, _ b: Double, _ what: String, tol: Double = 1e-6, file: StaticString = #filePath, line: UInt = #line) {
        let scale = max(abs(b), 1e-12)
        XCTAssertLessThanOrEqual(abs(a - b) / scale, tol, "\(what): swift \(a) vs golden \(b)", file: file, line: line)
    }

    func testAllGoldenCases() throws {
        let golden = try load()
        XCTAssertGreaterThanOrEqual(golden.cases.count, 10)
        for c in golden.cases {
            let cal = try XCTUnwrap(golden.inputs[c.calibration])
            let stream = try XCTUnwrap(golden.inputs[c.stream])
            let options = GrimshawOptions(fullPositiveInterval: c.full_positive_interval)
            let e = c.expected
            let result: SPOTRunResult?
            var threshold: Double
            var ini: SPOTInitialisation
            var attempts = 1
            switch c.kind {
            case "spot":
                let mode = try XCTUnwrap(SPOTStreamMode(rawValue: c.mode ?? ""))
                let r = try SPOT(q: c.q, grimshaw: options).run(calibration: cal, stream: stream, level: c.level, mode: mode)
                result = r; ini = r.initialisation; threshold = r.thresholds.last!
            case "dspot":
                let r = try DSPOT(q: c.q, depth: c.depth!, grimshaw: options).run(calibration: cal, stream: stream, level: c.level)
                result = r; ini = r.initialisation; threshold = r.thresholds.last!
            case "pot_stream":
                let p = POTParameters(q: c.q, level: c.level, scale: c.scale!, grimshaw: options)
                let cal2 = try POT.referenceStream(trainScores: cal, testScores: stream, parameters: p,
                                                   mode: try XCTUnwrap(SPOTStreamMode(rawValue: c.mode ?? "")))
                result = cal2.run; ini = cal2.initialisation; threshold = cal2.threshold; attempts = cal2.attempts
            case "pot_train":
                let p = POTParameters(q: c.q, level: c.level, scale: c.scale!, grimshaw: options)
                let cal2 = try POT.calibrate(trainScores: cal, parameters: p)
                result = nil; ini = cal2.initialisation; threshold = cal2.threshold; attempts = cal2.attempts
            default:
                XCTFail("unknown kind \(c.kind)"); continue
            }
            let n = c.name
            assertRel(ini.initialThreshold, e.initial_threshold, "\(n) initial threshold")
            assertRel(ini.level, e.level_used, "\(n) level used")
            XCTAssertEqual(attempts, e.attempts, "\(n) attempts")
            XCTAssertEqual(ini.peakCount, e.peaks, "\(n) peaks")
            if e.gamma == 0 { XCTAssertEqual(ini.fit.gamma, 0, "\(n) gamma") } else { assertRel(ini.fit.gamma, e.gamma, "\(n) gamma") }
            assertRel(ini.fit.sigma, e.sigma, "\(n) sigma")
            assertRel(ini.fit.logLikelihood, e.log_likelihood, "\(n) log-likelihood")
            assertRel(ini.extremeQuantile, e.extreme_quantile, "\(n) z_q")
            assertRel(threshold, e.threshold, "\(n) threshold")
            if let r = result {
                XCTAssertEqual(r.alarms.count, e.alarms, "\(n) alarms")
                XCTAssertEqual(Array(r.alarms.prefix(50)), e.alarm_indices, "\(n) alarm indices")
                XCTAssertEqual(r.finalPeakCount, e.final_peaks, "\(n) final peaks")
                if e.final_gamma == 0 { XCTAssertEqual(r.finalFit.gamma, 0) } else { assertRel(r.finalFit.gamma, e.final_gamma, "\(n) final gamma") }
                assertRel(r.finalFit.sigma, e.final_sigma, "\(n) final sigma")
                assertRel(r.finalExtremeQuantile, e.final_extreme_quantile, "\(n) final z_q")
                if let m = e.mean_threshold {
                    assertRel(r.thresholds.reduce(0, +) / Double(r.thresholds.count), m, "\(n) mean threshold")
                }
            }
        }
    }

    func testTailRegimesInGoldens() throws {
        // The goldens cover γ > 0, γ < 0 and γ ≈ 0 (sanity of the fixture itself, values checked above).
        let g = try load()
        let byName = Dictionary(uniqueKeysWithValues: g.cases.map { ($0.name, $0.expected) })
        XCTAssertGreaterThan(try XCTUnwrap(byName["heavy_full_fixed"]).gamma, 0.5)
        XCTAssertLessThan(try XCTUnwrap(byName["bounded_fixed"]).gamma, -0.3)
        XCTAssertLessThan(abs(try XCTUnwrap(byName["exponential_full_fixed"]).gamma), 0.01)
        XCTAssertEqual(try XCTUnwrap(byName["pot_retry_tied_top"]).attempts, 43)
    }
}
