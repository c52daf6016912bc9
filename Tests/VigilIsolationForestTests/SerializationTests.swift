import XCTest
import Foundation
import VigilHDF5
@testable import VigilIsolationForest

final class SerializationTests: XCTestCase {
    func tempPath(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("vigil-iforest-\(ProcessInfo.processInfo.processIdentifier)-\(name).h5").path
    }

    func testForestRoundTripsThroughHDF5() throws {
        let x = gaussian(rows: 300, cols: 4, seed: 21)
        let cfg = IsolationForest.Configuration(nEstimators: 12, maxSamples: .count(100), maxFeatures: .fraction(0.75),
                                                bootstrap: true, contamination: .fraction(0.05), seed: UInt64.max - 3)
        let f = try IsolationForest(fitting: x, configuration: cfg)
        let path = tempPath("forest")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try f.save(to: path)
        let g = try IsolationForest(contentsOf: path)
        XCTAssertEqual(g.trees, f.trees)
        XCTAssertEqual(g.configuration, cfg)
        XCTAssertEqual(g.featureCount, 4)
        XCTAssertEqual(g.maxSamples, 100)
        XCTAssertEqual(g.threshold, f.threshold)
        XCTAssertEqual(try g.scores(x), try f.scores(x))
        let file = try HDF5File(path: path, mode: .readOnly)
        XCTAssertEqual(try file.read(Int64.self, from: "iforest/tree_offsets").shape, [13])
        XCTAssertEqual(try file.stringAttribute("format", at: "iforest"), "vigil-isolation-forest")
    }

    func testDetectorRoundTripsThroughHDF5() throws {
        let x = gaussian(rows: 200, cols: 3, seed: 22)
        let eng = FeatureEngineering(lags: [1, 3], differences: true, rollingWindow: 4, rollingStatistics: [.std, .min], standardize: true)
        let d = try IsolationForestDetector(fitting: x, engineering: eng, configuration: .init(nEstimators: 8, seed: 4))
        let path = tempPath("detector")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try d.save(to: path)
        let e = try IsolationForestDetector(contentsOf: path)
        XCTAssertEqual(e.transform, d.transform)
        XCTAssertEqual(e.forest.trees, d.forest.trees)
        XCTAssertEqual(try e.scores(x), try d.scores(x))
    }

    func testReadingSomethingElseIsAnError() throws {
        let path = tempPath("other")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try HDF5File.write(to: path) { f in
            try f.write([1.0, 2.0], shape: [2], to: "iforest/threshold")
            try f.setAttribute("format", string: "something-else", at: "iforest")
        }
        XCTAssertThrowsError(try IsolationForest(contentsOf: path)) { e in
            guard case IsolationForestError.corruptModel = e else { return XCTFail("\(e)") }
        }
        // A file without Vigil's seal is never handed to libhdf5 as a model.
        let unsealed = tempPath("unsealed")
        defer { try? FileManager.default.removeItem(atPath: unsealed) }
        let u = try HDF5File(path: unsealed, mode: .truncate)
        try u.write([1.0], shape: [1], to: "iforest/threshold")
        try u.close()
        XCTAssertThrowsError(try IsolationForest(contentsOf: unsealed)) { e in
            XCTAssertEqual(e as? HDF5Error, .notSealed(file: unsealed))
        }
        XCTAssertThrowsError(try IsolationForestDetector(contentsOf: path))   // missing group: HDF5Error
    }
}
