import Foundation
import VigilBaselines
import VigilData
import VigilHDF5
import VigilRandom
import XCTest
@testable import VigilScores

final class BaselineDetectorTests: XCTestCase {
    func matrix(_ rows: Int, _ cols: Int, seed: UInt64, scale: Double = 1) -> DataMatrix {
        var g = Xoshiro256(seed: seed)
        return DataMatrix(rows: rows, cols: cols, values: (0..<(rows * cols)).map { _ in scale * g.nextUnitDouble() })
    }

    func testEveryKeyFitsScoresAndStoresThroughTheDetectorInterface() throws {
        let train = matrix(120, 5, seed: 1), test = matrix(40, 5, seed: 2, scale: 1.5)
        let dir = NSTemporaryDirectory() + "vigil-baseline-detectors-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let perDimension: Set<String> = ["pca", "l2_norm", "range_deviation", "untrained_tranad"]
        for key in Baselines.keys {
            let d = try XCTUnwrap(BaselineDetectors.make(key: key, seed: 4), key)
            XCTAssertEqual(d.name, key)
            XCTAssertThrowsError(try d.score(test)) { XCTAssertEqual($0 as? DetectorError, .notFitted(key)) }
            var lines: [String] = []
            try d.fit(train) { lines.append($0) }
            XCTAssertEqual(lines.count, 1)
            let s = try d.score(test)
            XCTAssertEqual(s.model, key)
            XCTAssertEqual(s.rows, 40)
            XCTAssertEqual(s.dims, perDimension.contains(key) ? 5 : 0, key)
            XCTAssertTrue(s.allFinite, key)
            XCTAssertNotNil(s.provenance["fit_reads"], key)
            XCTAssertNotNil(s.provenance["aggregate"], key)
            XCTAssertEqual(try d.score(test), s, "\(key): scoring does not change the model")
            if key == "l2_norm" {
                for r in 0..<40 {
                    let sum = (0..<5).reduce(0.0) { $0 + s.perDimension[r * 5 + $1] }
                    XCTAssertEqual(s.aggregate[r], sum.squareRoot(), accuracy: 1e-15, "aggregate is the norm, not the mean")
                }
            } else if s.dims > 0 {
                for r in 0..<40 {
                    let mean = (0..<5).reduce(0.0) { $0 + s.perDimension[r * 5 + $1] } / 5
                    XCTAssertEqual(s.aggregate[r], mean, accuracy: 1e-15 * max(1, mean), key)
                }
            }
            // Export and re-score: the stored model gives the same ScoreSet.
            let stored = try XCTUnwrap(d as? StorableDetector)
            let path = dir + "/\(key).h5"
            try stored.saveModel(to: path)
            XCTAssertFalse(FileManager.default.fileExists(atPath: path + ".\(ProcessInfo.processInfo.processIdentifier).part"))
            let back = try BaselineDetectors.load(contentsOf: path)
            XCTAssertEqual(back.name, key)
            XCTAssertEqual(try back.score(test), s, "\(key): round trip")
            let f = try HDF5File.openSealed(path)
            XCTAssertEqual(try f.stringAttribute("model", at: key), key)
            try f.close()
            // The ScoreSet itself round-trips through the score store (aggregate kept as stored).
            let sf = try HDF5File(path: dir + "/scores-\(key).h5", mode: .truncate)
            try s.write(to: sf, group: "test")
            XCTAssertEqual(try ScoreSet(from: sf, group: "test"), s)
            try sf.close()
        }
        XCTAssertNil(BaselineDetectors.make(key: "nope"))
    }

    func testUnfittedDetectorCannotBeStoredAndAmbiguousFilesAreRejected() throws {
        let d = KNNDetector(configuration: .init())
        XCTAssertEqual(d.provenance["model"], "knn")
        let dir = NSTemporaryDirectory() + "vigil-baseline-detectors-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        XCTAssertThrowsError(try d.saveModel(to: dir + "/x.h5")) { XCTAssertEqual($0 as? DetectorError, .notFitted("knn")) }
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/x.h5"), "no half-written file")
        // Two baselines in one file: the loader needs the group named.
        let a = L2NormDetector(configuration: .init()), b = RandomDetector(configuration: .init(seed: 1))
        try a.fit(matrix(3, 2, seed: 1), progress: nil)
        try b.fit(matrix(3, 2, seed: 1), progress: nil)
        try HDF5File.write(to: dir + "/two.h5") { f in
            try a.writeModel(to: f, group: "l2_norm")
            try b.writeModel(to: f, group: "random")
        }
        XCTAssertThrowsError(try BaselineDetectors.load(contentsOf: dir + "/two.h5"))
        XCTAssertEqual(try BaselineDetectors.load(contentsOf: dir + "/two.h5", group: "random").name, "random")
    }
}
