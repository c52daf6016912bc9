import Foundation
import XCTest
@testable import VigilThresholds

final class SPOTUnitTests: XCTestCase {
    func testInitialThresholdIsFlooredEmpiricalQuantile() throws {
        // 10 scores 1…10, level 0.75 → index ⌊7.5⌋ = 7 → t = 8, peaks {1, 2}.
        var g = FixedGenerator()
        let x = (1...10).map(Double.init).shuffled(using: &g)
        let ini = try SPOT(q: 0.01).initialise(calibration: x, level: 0.75)
        XCTAssertEqual(ini.initialThreshold, 8)
        XCTAssertEqual(ini.peakCount, 2)
        XCTAssertEqual(ini.count, 10)
    }

    func testSinglePeakIsExponentialAndQuantileFormula() throws {
        // One peak y = 2 → no root (w < 0 on the left interval, right interval empty) → γ = 0, σ = 2.
        let x = [0.0, 1, 1, 1, 3]
        let ini = try SPOT(q: 0.01).initialise(calibration: x, level: 0.6)
        XCTAssertEqual(ini.initialThreshold, 1)
        XCTAssertEqual(ini.peakCount, 1)
        XCTAssertEqual(ini.fit.gamma, 0)
        XCTAssertEqual(ini.fit.sigma, 2)
        XCTAssertEqual(ini.fit.logLikelihood, -1 * (1 + log(2.0)), accuracy: 1e-15)
        // z_q = t − σ·ln(q·n/N_t) = 1 − 2·ln(0.05)
        XCTAssertEqual(ini.extremeQuantile, 1 - 2 * log(0.05), accuracy: 1e-12)
    }

    func testQuantileFormulaNonZeroGamma() {
        let fit = GPDFit(gamma: 0.5, sigma: 2, logLikelihood: 0)
        // r = 1e-3·1000/10 = 0.1; z = 3 + 2/0.5·(0.1^−0.5 − 1)
        let z = Grimshaw.extremeQuantile(initialThreshold: 3, fit: fit, q: 1e-3, n: 1000, peakCount: 10)
        XCTAssertEqual(z, 3 + 4 * (pow(0.1, -0.5) - 1), accuracy: 1e-12)
    }

    func testReferenceExponentialQuirkFlipsSign() {
        let peaks = [0.5, 1.0, 1.5]
        let ok = Grimshaw.fit(peaks: peaks)
        let quirk = Grimshaw.fit(peaks: peaks, options: GrimshawOptions(referenceExponentialLikelihoodQuirk: true))
        // Correct exponential ℓ = −3(1 + ln 1) = −3; the quirk scores it +3 and so always keeps γ = 0 here.
        XCTAssertEqual(quirk.gamma, 0)
        XCTAssertEqual(quirk.logLikelihood, 3, accuracy: 1e-12)
        XCTAssertLessThanOrEqual(ok.logLikelihood, 3)
        XCTAssertGreaterThanOrEqual(ok.logLikelihood, -3)
    }

    func testFixedAndReferenceStaticModes() throws {
        let cal = (0..<100).map { Double($0) / 100 }  // 0 … 0.99
        let spot = SPOT(q: 1e-3)
        let ini = try spot.initialise(calibration: cal, level: 0.9)
        XCTAssertEqual(ini.initialThreshold, 0.9, accuracy: 1e-15)
        let z = ini.extremeQuantile
        XCTAssertGreaterThan(z, 0.99)
        let stream = [0.1, 0.95, z + 1, 0.2]
        let fixed = try spot.run(from: ini, calibration: cal, stream: stream, mode: .fixed)
        XCTAssertEqual(fixed.alarms, [2])
        XCTAssertEqual(fixed.thresholds, [z, z, z, z])
        let ref = try spot.run(from: ini, calibration: cal, stream: stream, mode: .referenceStatic)
        // Reference quirk: alarms are values above t; from the first one the recorded threshold is t.
        XCTAssertEqual(ref.alarms, [1, 2])
        XCTAssertEqual(ref.thresholds, [z, ini.initialThreshold, ini.initialThreshold, ini.initialThreshold])
        let dyn = try spot.run(from: ini, calibration: cal, stream: stream, mode: .dynamic)
        XCTAssertEqual(dyn.alarms, [2])
        XCTAssertEqual(dyn.finalPeakCount, ini.peakCount + 1)  // 0.95 became a peak
        XCTAssertEqual(dyn.thresholds[0], z)
        XCTAssertNotEqual(dyn.thresholds[1], z)
    }

    func testRetryPathOnConstantTopAndTypedFailure() throws {
        // 20 scores: 0…9 then ten 10s. Level 0.96 → index 19 → t = 10, no peak. Retries: 0.96·0.999^k; index ⌊20·level⌋
        // drops to 9 (t = 9, peaks = ten 1s) once 20·level < 10 — never within 5 attempts, so the typed error comes.
        let x = (0..<10).map(Double.init) + Array(repeating: 10.0, count: 10)
        XCTAssertThrowsError(try POT.calibrate(trainScores: x, parameters: POTParameters(q: 1e-3, level: 0.96, maxAttempts: 5))) { e in
            guard case let ThresholdError.initialisationFailed(first, last, attempts, _) = e else { return XCTFail("\(e)") }
            XCTAssertEqual(first, 0.96)
            XCTAssertEqual(last, 0.96 * pow(0.999, 4), accuracy: 1e-15)
            XCTAssertEqual(attempts, 5)
        }
        // With a faster retry factor 0.5: 0.96 → 0.48 (index 9, t = 9): second attempt succeeds.
        let ok = try POT.calibrate(trainScores: x, parameters: POTParameters(q: 1e-3, level: 0.96, scale: 1, retryFactor: 0.5))
        XCTAssertEqual(ok.attempts, 2)
        XCTAssertEqual(ok.initialisation.level, 0.48)
        XCTAssertEqual(ok.initialisation.initialThreshold, 9)
        XCTAssertEqual(ok.initialisation.peakCount, 10)
        // All-constant scores can never initialise.
        XCTAssertThrowsError(try POT.calibrate(trainScores: Array(repeating: 1.0, count: 50), parameters: POTParameters(maxAttempts: 3)))
    }

    func testInputValidation() {
        XCTAssertThrowsError(try SPOT().initialise(calibration: [], level: 0.9)) { e in
            XCTAssertEqual(e as? ThresholdError, .emptyScores(what: "calibration scores"))
        }
        XCTAssertThrowsError(try SPOT().initialise(calibration: [1, .nan], level: 0.9))
        XCTAssertThrowsError(try SPOT().initialise(calibration: [1, 2], level: 1.0))
        XCTAssertThrowsError(try DSPOT(depth: 5).run(calibration: [1, 2, 3], stream: [1], level: 0.9))
    }

    func testPercentileAndDeployable() throws {
        XCTAssertEqual(percentile([1, 2, 3, 4], 50), 2.5)
        XCTAssertEqual(percentile([4, 1, 3, 2], 100), 4)
        XCTAssertEqual(percentile([1, 2, 3, 4, 5], 90), 4.6, accuracy: 1e-12)
        XCTAssertEqual(try DeployableCalibration.percentile(50).threshold(trainScores: [1, 2, 3]), 2)
        XCTAssertThrowsError(try DeployableCalibration.percentile(101).threshold(trainScores: [1, 2, 3]))
        let train = (0..<1000).map { sin(Double($0)) * sin(Double($0)) }
        let p = POTParameters(q: 1e-3, level: 0.98, scale: 1.06)
        let viaEnum = try DeployableCalibration.pot(p).threshold(trainScores: train)
        let direct = try POT.calibrate(trainScores: train, parameters: p)
        XCTAssertEqual(viaEnum, direct.initialisation.extremeQuantile * 1.06)
    }

    func testDSPOTResiduals() {
        let d = DSPOT(depth: 2)
        XCTAssertEqual(d.residuals([1, 3, 5, 4]), [5 - 2, 4 - 4])
    }
}

/// Deterministic generator for shuffles in tests.
struct FixedGenerator: RandomNumberGenerator {
    var state: UInt64 = 42
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
