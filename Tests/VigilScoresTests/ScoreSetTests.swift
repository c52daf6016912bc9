import Foundation
import VigilHDF5
import XCTest
@testable import VigilScores

final class ScoreSetTests: XCTestCase {
    func testAggregateIsRowMeanOfPerDimensionScores() {
        // 2 rows × 3 dims.
        let s = ScoreSet(model: "m", perDimension: [1, 2, 3, 0, 0, 6], rows: 2, dims: 3)
        XCTAssertEqual(s.aggregate, [2, 2])
        XCTAssertEqual(s.dimension(2), [3, 6])
        XCTAssertTrue(s.allFinite)
        let bad = ScoreSet(model: "m", aggregate: [0, .nan])
        XCTAssertFalse(bad.allFinite)
        XCTAssertEqual(bad.dims, 0)
    }

    func testHDF5RoundTripKeepsScoresAndProvenance() throws {
        let path = NSTemporaryDirectory() + "vigil-scores-\(UUID().uuidString).h5"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let a = ScoreSet(model: "tranad", perDimension: [0.5, 0.25, 0.125, 1], rows: 2, dims: 2,
                         provenance: ["alignment": "inclusive", "seed": "3"])
        let b = ScoreSet(model: "iforest", aggregate: [0.4, 0.7, 0.55], provenance: ["n_estimators": "100"])
        do {
            let f = try HDF5File(path: path, mode: .truncate)
            try a.write(to: f, group: "test")
            try b.write(to: f, group: "iforest/test")
            try f.close()
        }
        let f = try HDF5File(path: path, mode: .readOnly)
        XCTAssertEqual(try ScoreSet(from: f, group: "test"), a)
        XCTAssertEqual(try ScoreSet(from: f, group: "iforest/test"), b)
    }

    func testDamagedShapesAreRefusedNotTrapped() throws {
        let path = NSTemporaryDirectory() + "vigil-scores-bad-\(UUID().uuidString).h5"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try HDF5File.write(to: path) { f in
            // rows disagree: aggregate (3,), per_dimension (2, 2).
            try f.writeChecksummed([0.1, 0.2, 0.3], shape: [3], to: "a/aggregate")
            try f.writeChecksummed([1, 2, 3, 4], shape: [2, 2], to: "a/per_dimension")
            try f.setAttribute("model", string: "m", at: "a")
            // aggregate not 1-D.
            try f.writeChecksummed([1, 2, 3, 4], shape: [2, 2], to: "b/aggregate")
            try f.setAttribute("model", string: "m", at: "b")
        }
        let f = try HDF5File.openSealed(path)
        defer { try? f.close() }
        for g in ["a", "b"] {
            XCTAssertThrowsError(try ScoreSet(from: f, group: g)) { e in
                guard let err = e as? ScoreFileError else { return XCTFail("\(e)") }
                XCTAssertEqual(err.group, g)
            }
        }
    }
}
