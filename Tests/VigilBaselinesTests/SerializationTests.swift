import Foundation
import XCTest
import VigilData
import VigilHDF5
import VigilTranAD
@testable import VigilBaselines

final class BaselineSerializationTests: XCTestCase {
    var dir: String!

    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "vigil-baselines-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: dir) }

    /// One fitted model of every baseline on the same training rows.
    func fittedModels() throws -> [any BaselineModel] {
        let train = lowRankMatrix(300, 6, rank: 2, noise: 0.05, seed: 30)
        var tc = TranADConfig()
        tc.window = 4
        tc.seed = 9
        tc.precision = .float64
        return [
            try PCABaseline(fitting: train, configuration: .init(components: .varianceFraction(0.9))),
            try KNNBaseline(fitting: train, configuration: .init(k: 3, maxSamples: 100, seed: UInt64.max)),
            try L2NormBaseline(fitting: train),
            try RangeDeviationBaseline(fitting: train),
            try RandomScoresBaseline(fitting: train, configuration: .init(seed: 1 << 63 + 5)),
            try UntrainedTranADBaseline(fitting: train, configuration: .init(tranad: tc, workers: 1)),
        ]
    }

    func testEveryBaselineRoundTripsToIdenticalScores() throws {
        let test = uniformMatrix(80, 6, seed: 31, lo: -1, hi: 2)
        let models = try fittedModels()
        XCTAssertEqual(models.map { type(of: $0).key }, Baselines.keys)
        let path = dir + "/all.h5"
        let file = try HDF5File(path: path, mode: .truncate)
        for m in models { try m.write(to: file, group: "models/" + type(of: m).key) }
        try file.close()
        let back = try HDF5File(path: path, mode: .readOnly)
        defer { try? back.close() }
        for m in models {
            let key = type(of: m).key
            let g = "models/" + key
            XCTAssertEqual(try back.stringAttribute("format", at: g), type(of: m).format)
            XCTAssertEqual(try back.intAttribute("version", at: g), 1)
            XCTAssertEqual(try back.stringAttribute("model", at: g), key)
            XCTAssertEqual(try back.read(Int64.self, from: g + "/features").values, [6])
            let r = try Baselines.read(from: back, group: g)
            XCTAssertTrue(type(of: r) == type(of: m), key)
            XCTAssertEqual(r.provenance, m.provenance, key)
            XCTAssertEqual(try r.score(test), try m.score(test), "\(key): re-scored bit for bit")
        }
        // Typed readers and the whole-file helpers agree.
        let pca = models[0] as! PCABaseline
        try pca.save(to: dir + "/pca.h5")
        let p2 = try PCABaseline(contentsOf: dir + "/pca.h5")
        XCTAssertEqual(p2.components, pca.components)
        XCTAssertEqual(p2.kept, pca.kept)
        XCTAssertEqual(p2.configuration, pca.configuration)
        let knn = models[1] as! KNNBaseline
        let k2 = try KNNBaseline(from: back, group: "models/knn")
        XCTAssertEqual(k2.configuration, knn.configuration)
        XCTAssertEqual(k2.sampleIndices, knn.sampleIndices)
        let tr = try UntrainedTranADBaseline(from: back, group: "models/untrained_tranad", workers: 2)
        XCTAssertEqual(tr.configuration.tranad, (models[5] as! UntrainedTranADBaseline).configuration.tranad)
    }

    /// Writes `model` to a fresh file, lets `damage` edit the group, and returns the read error.
    func readError(_ model: any BaselineModel, _ damage: (HDF5File, String) throws -> Void) throws -> Error? {
        let path = dir + "/\(UUID().uuidString).h5"
        let f = try HDF5File(path: path, mode: .truncate)
        try model.write(to: f, group: "m")
        try damage(f, "m")
        try f.close()
        let r = try HDF5File(path: path, mode: .readOnly)
        defer { try? r.close() }
        do { _ = try Baselines.read(from: r, group: "m"); return nil } catch { return error }
    }

    func assertCorrupt(_ e: Error?, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        guard let e else { return XCTFail("\(what): damaged model was accepted", file: file, line: line) }
        switch e {
        case BaselineError.corruptModel, BaselineError.unsupportedFormat, is HDF5Error: break
        default: XCTFail("\(what): unexpected error \(e)", file: file, line: line)
        }
    }

    func testDamagedFilesThrowInsteadOfTrapping() throws {
        let models = try fittedModels()
        let (pca, knn, l2, range, random, tranad) = (models[0], models[1], models[2], models[3], models[4], models[5])
        for m in models {
            assertCorrupt(try readError(m) { f, g in try f.setAttribute("format", string: "vigil-baseline-nope", at: g) }, "format")
            assertCorrupt(try readError(m) { f, g in try f.setAttribute("version", int: 2, at: g) }, "version")
            assertCorrupt(try readError(m) { f, g in try f.write([Int64(0)], shape: [], to: g + "/features") }, "features 0")
        }
        for m in [pca, knn, range, tranad] {  // stored arrays must agree with F (l2_norm and random have none)
            assertCorrupt(try readError(m) { f, g in try f.write([Int64(7)], shape: [], to: g + "/features") }, "features 7")
        }
        assertCorrupt(try readError(pca) { f, g in try f.setAttribute("kept", int: 7, at: g) }, "kept > F")
        assertCorrupt(try readError(pca) { f, g in try f.setAttribute("components", string: "many", at: g) }, "spec")
        assertCorrupt(try readError(pca) { f, g in try f.write([Double](repeating: 0, count: 30), shape: [5, 6], to: g + "/components") }, "shape")
        assertCorrupt(try readError(pca) { f, g in try f.write([Double](repeating: .nan, count: 6), shape: [6], to: g + "/mean") }, "NaN mean")
        assertCorrupt(try readError(pca) { f, g in
            var c = try f.read(Double.self, from: g + "/components").values
            c[7] += 1e-3
            try f.write(c, shape: [6, 6], to: g + "/components")
        }, "components not orthonormal")
        assertCorrupt(try readError(pca) { f, g in try f.write([1.0, 2, 3, 4, 5, 6], shape: [6], to: g + "/eigenvalues") }, "ascending eigenvalues")
        assertCorrupt(try readError(knn) { f, g in try f.setAttribute("k", int: 101, at: g) }, "k > M")
        assertCorrupt(try readError(knn) { f, g in try f.setAttribute("k", int: 0, at: g) }, "k = 0")
        assertCorrupt(try readError(knn) { f, g in try f.setAttribute("seed", string: "-1", at: g) }, "seed")
        assertCorrupt(try readError(knn) { f, g in try f.setAttribute("training_rows", int: 50, at: g) }, "index ≥ T")
        assertCorrupt(try readError(knn) { f, g in
            var idx = try f.read(Int64.self, from: g + "/sample_indices").values
            idx.swapAt(0, 1)
            try f.write(idx, shape: [idx.count], to: g + "/sample_indices")
        }, "unsorted indices")
        assertCorrupt(try readError(knn) { f, g in try f.write([Int64](), shape: [0], to: g + "/sample_indices") }, "no sample")
        assertCorrupt(try readError(knn) { f, g in try f.write([Double](repeating: 0, count: 60), shape: [10, 6], to: g + "/reference") }, "reference rows")
        assertCorrupt(try readError(range) { f, g in try f.write([Double](repeating: 9, count: 6), shape: [6], to: g + "/minimum") }, "min > max")
        assertCorrupt(try readError(random) { f, g in try f.setAttribute("seed", string: "0x10", at: g) }, "seed text")
        assertCorrupt(try readError(l2) { f, g in try f.write([Int64(1), 2], shape: [2], to: g + "/features") }, "features shape")
        assertCorrupt(try readError(tranad) { f, g in try f.setAttribute("config_json", string: "{}", at: g) }, "config")
        assertCorrupt(try readError(tranad) { f, g in
            let name = (tranad as! UntrainedTranADBaseline).trainer.namedParameterShapes[0].name
            try f.write([Double](repeating: 0, count: 3), shape: [3], to: "\(g)/parameters/\(name)")
        }, "parameter shape")
        // A group that is no baseline at all.
        let f = try HDF5File(path: dir + "/other.h5", mode: .truncate)
        try f.write([1.0], shape: [1], to: "x/y")
        XCTAssertThrowsError(try Baselines.read(from: f, group: "x")) {
            guard case BaselineError.unsupportedFormat = $0 else { return XCTFail("\($0)") }
        }
        XCTAssertThrowsError(try Baselines.read(from: f, group: "missing"))
        try f.close()
    }
}
