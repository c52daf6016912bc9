import Foundation
import XCTest
@testable import VigilIsolationForest

/// A saved detector (feature transform + forest) with any byte flipped must load identically (the byte was unused)
/// or fail with a thrown error — never trap, never load different trees or settings.
final class ModelCorruptionTests: XCTestCase {
    func testFlippedBytesGiveAnErrorOrIdenticalModel() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-iflip-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let x = gaussian(rows: 40, cols: 2, seed: 5)
        let eng = FeatureEngineering(lags: [1], differences: false, rollingWindow: 0, rollingStatistics: [], standardize: true)
        let d = try IsolationForestDetector(fitting: x, engineering: eng, configuration: .init(nEstimators: 3, maxSamples: .count(16), seed: 9))
        let original = dir + "/model.h5"
        try d.save(to: original)
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: original)))

        var positions: [Int]
        if ProcessInfo.processInfo.environment["VIGIL_FLIP_ALL"] == "1" {
            positions = Array(0..<bytes.count)
        } else {   // every 16th byte of the first 4 KiB and 120 seeded positions of the whole file
            positions = Array(stride(from: 0, to: min(4096, bytes.count), by: 16))
            var state: UInt64 = 0xF0_2E57
            for _ in 0..<120 {
                state = state &* 6364136223846793005 &+ 1442695040888963407
                positions.append(Int((state >> 33) % UInt64(bytes.count)))
            }
        }
        var errors = 0
        let flipped = dir + "/flip.h5"
        for (k, pos) in positions.enumerated() {
            var b = bytes
            b[pos] ^= UInt8(1 + (k * 73) % 255)
            try Data(b).write(to: URL(fileURLWithPath: flipped))
            do {
                let e = try IsolationForestDetector(contentsOf: flipped)
                XCTAssertEqual(e.transform.engineering, d.transform.engineering, "byte \(pos)")
                XCTAssertEqual(e.transform.inputColumns, d.transform.inputColumns, "byte \(pos)")
                XCTAssertEqual(e.transform.mean.map(\.bitPattern), d.transform.mean.map(\.bitPattern), "byte \(pos)")
                XCTAssertEqual(e.transform.scale.map(\.bitPattern), d.transform.scale.map(\.bitPattern), "byte \(pos)")
                XCTAssertEqual(e.forest.configuration, d.forest.configuration, "byte \(pos)")
                XCTAssertEqual(e.forest.featureCount, d.forest.featureCount, "byte \(pos)")
                XCTAssertEqual(e.forest.maxSamples, d.forest.maxSamples, "byte \(pos)")
                XCTAssertEqual(e.forest.threshold.bitPattern, d.forest.threshold.bitPattern, "byte \(pos)")
                for (s, t) in zip(e.forest.trees, d.forest.trees) {
                    XCTAssertEqual(s.feature, t.feature, "byte \(pos)")
                    XCTAssertEqual(s.threshold.map(\.bitPattern), t.threshold.map(\.bitPattern), "byte \(pos)")
                    XCTAssertEqual(s.left, t.left, "byte \(pos)")
                    XCTAssertEqual(s.right, t.right, "byte \(pos)")
                    XCTAssertEqual(s.nodeSamples, t.nodeSamples, "byte \(pos)")
                }
                XCTAssertEqual(e.forest.trees.count, d.forest.trees.count, "byte \(pos)")
            } catch {
                errors += 1
            }
        }
        XCTAssertGreaterThan(errors, positions.count / 10, "most flips hit data, checksums or metadata")
        print("forest model flips: \(positions.count) of \(bytes.count) bytes, \(errors) refused, \(positions.count - errors) loaded identical")
    }
}
