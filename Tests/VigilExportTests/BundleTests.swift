import Foundation
import XCTest
import VigilBaselines
import VigilData
import VigilHDF5
import VigilIO
import VigilIsolationForest
import VigilMetrics
import VigilPyTorch
import VigilScores
import VigilThresholds
import VigilTranAD
@testable import VigilExport

/// The serving bundle: layout, contents, staged publication, and refusal of damaged or inconsistent bundles.
final class BundleTests: XCTestCase {
    func testTranADBundleLayoutAndContents() throws {
        let fx = try Fitted.tranad()
        let dir = try TempDir()
        let plan = try fx.export(to: dir.sub("models/tranad/machine-test"))
        let b = "models/tranad/machine-test/"
        XCTAssertEqual(dir.names("models/tranad/machine-test"),
                       ["checksums.sha256", "eval_results.json", "model.ckpt", "model.h5", "norm_params.npy", "scorer_state.json"])
        XCTAssertEqual(dir.names("models/tranad"), ["machine-test"], "no staging directory left")

        // checksums.sha256: sha256sum format, one line per file, sorted
        let manifest = String(decoding: try dir.bytes(b + "checksums.sha256"), as: UTF8.self)
        let expectedLines = try ["eval_results.json", "model.ckpt", "model.h5", "norm_params.npy", "scorer_state.json"].map {
            "\(SHA256Hasher.hex(of: try dir.bytes(b + $0)))  \($0)"
        }
        XCTAssertEqual(manifest, expectedLines.joined(separator: "\n") + "\n")

        // norm_params.npy: float64 (2, F), row 0 = min, row 1 = max
        let norm = try NpyReader.readMatrix(dir.sub(b + "norm_params.npy"))
        XCTAssertEqual(norm.rows, 2)
        XCTAssertEqual(Array(norm.values[0..<3]), fx.normalizer.min)
        XCTAssertEqual(Array(norm.values[3...]), fx.normalizer.max)
        XCTAssertTrue(String(decoding: try dir.bytes(b + "norm_params.npy").prefix(80), as: UTF8.self).contains("'descr': '<f8'"))
        XCTAssertEqual(try dir.bytes(b + "eval_results.json"), Array("{\"machine\": \"machine-test\"}\n".utf8))

        // scorer_state.json: the service's keys with their types and values (parsed by JSONDecoder: Foundation's
        // JSONSerialization rounds some doubles off by an ulp on Linux; Python's json and JSONDecoder do not)
        let json = try jsonObject(try dir.bytes(b + "scorer_state.json"))
        let pot = try POT.calibrate(trainScores: fx.train.aggregate, parameters: POTParameters(level: 0.9))
        XCTAssertEqual(num(json["threshold"]), pot.threshold)
        XCTAssertEqual(json["method"] as? String, "pot")
        XCTAssertEqual(json["calibration"] as? String, "pot_train")
        let details = try XCTUnwrap(json["details"] as? [String: Any])
        XCTAssertEqual(num(details["q"]), 1e-5)
        XCTAssertEqual(num(details["level"]), pot.initialisation.level)
        XCTAssertEqual(num(details["scale"]), 1.06)
        XCTAssertEqual(num(details["initial_threshold"]), pot.initialisation.initialThreshold)
        XCTAssertEqual(num(details["gamma"]), pot.initialisation.fit.gamma)
        XCTAssertEqual(num(details["sigma"]), pot.initialisation.fit.sigma)
        XCTAssertEqual(details["n_peaks"] as? Int, pot.initialisation.peakCount)
        XCTAssertEqual(details["n_calibration_scores"] as? Int, 120)
        XCTAssertEqual((num(details["extreme_quantile"])).map { $0 * 1.06 }, pot.threshold)
        XCTAssertEqual(json["feature_baselines"] as? [Double], try SegmentAttribution(training: fx.train).baselines)
        XCTAssertEqual(json["feature_labels"] as? [String], ["dim_0", "dim_1", "dim_2"])
        XCTAssertEqual(json["n_features"] as? Int, 3)
        XCTAssertEqual(json["window_size"] as? Int, 4)
        XCTAssertEqual(json["scoring_mode"] as? String, "phase2_only")
        XCTAssertEqual(json["alignment"] as? String, "inclusive")
        XCTAssertEqual(json["model"] as? String, "tranad")
        XCTAssertEqual(json["reads_test_scores"] as? Bool, false)
        XCTAssertEqual(json["reads_test_labels"] as? Bool, false)
        XCTAssertEqual(json["reads"] as? [String], ["train"])
        XCTAssertEqual(json["vigil_version"] as? String, "0.1.0-test")
        XCTAssertEqual(json["format"] as? String, "vigil-serving-scorer-state")
        XCTAssertEqual(json["format_version"] as? Int, 1)
        XCTAssertNotNil(ISO8601DateFormatter().date(from: try XCTUnwrap(json["created_at"] as? String)))
        XCTAssertNil(json["transform"], "format version 1 writes no transform")
        let prov = try XCTUnwrap(json["provenance"] as? [String: Any])
        XCTAssertEqual(prov["vigil_commit"] as? String, "0123456789abcdef")
        XCTAssertEqual(prov["training_rows"] as? Int, 120)
        XCTAssertEqual(num((json["normalization"] as? [String: Any])?["epsilon"]), 1e-4)
        XCTAssertEqual(num((json["attribution"] as? [String: Any])?["minimum_elevation"]), 2)
        XCTAssertEqual(plan.state.threshold, pot.threshold)

        // model.ckpt: the reference state dict, pos_encoder.pe first, in float32, epoch = 0 after one epoch
        let trainer = try XCTUnwrap((fx.detector as? TranADDetector)?.trainer)
        let ckpt = try TorchCheckpointReader.read(try dir.bytes(b + "model.ckpt"))
        XCTAssertEqual(ckpt.archiveName, "model")
        let sd = try ckpt.stateDict(at: "model_state_dict")
        XCTAssertEqual(sd.map(\.key), [TranADTrainer.positionalEncodingKey] + trainer.exportParameters().map(\.name))
        XCTAssertEqual(sd.first?.tensor.shape, [4, 1, 6])
        XCTAssertTrue(sd.allSatisfy { $0.tensor.dtype == .float32 })
        XCTAssertEqual(ckpt.object["epoch"]?.int, 0)
        if case .orderedDict? = ckpt.object["model_state_dict"] {} else { XCTFail("model_state_dict is not an OrderedDict") }
        // pe[pos, 0, i] = sin(pos·w_i) + cos(pos·w_i), w_i = exp(−i·ln(10000)/d)
        let pe = try XCTUnwrap(sd.first?.tensor.float32Values())
        for pos in 0..<4 {
            for i in 0..<6 {
                let w = exp(Double(i) * -log(10000.0) / 6)
                XCTAssertEqual(Double(pe[pos * 6 + i]), sin(Double(pos) * w) + cos(Double(pos) * w), accuracy: 1e-6)
            }
        }

        // model.h5: one dataset per state_dict key with its checksum, config and provenance at the root
        let f = try HDF5File.openSealed(dir.sub(b + "model.h5"))
        defer { try? f.close() }
        for (key, t) in sd {
            let r = try f.readVerified(Float.self, from: "/" + key)
            XCTAssertEqual(r.shape, t.shape, key)
            XCTAssertEqual(r.values, try t.float32Values(), key)
        }
        for (k, v) in [("export_format", "vigil-serving-model"), ("model", "tranad"), ("dtype", "float32"), ("alignment", "inclusive"),
                       ("scoring", "phase2_only"), ("activation", "reference_identity"), ("vigil_version", "0.1.0-test"),
                       ("vigil_commit", "0123456789abcdef"), ("unit", "machine-test"), ("seed", "0")] {
            XCTAssertEqual(try f.stringAttribute(k), v, k)
        }
        for (k, v) in [("features", 3), ("window", 4), ("d_model", 6), ("heads", 3), ("feed_forward", 16), ("epochs", 1), ("epochs_trained", 1)] {
            XCTAssertEqual(try f.intAttribute(k), v, k)
        }
        XCTAssertEqual(try f.doubleAttribute("dropout"), 0.1)
        let records = try JSONDecoder().decode([StateDictRecord].self, from: Data(try f.verifiedStringAttribute("state_dict_json").utf8))
        XCTAssertEqual(records.map(\.key), sd.map(\.key))
        for r in records { XCTAssertEqual(try f.stringAttribute("sha256", at: "/" + r.key), r.sha256) }
        XCTAssertEqual(try f.readVerified(Double.self, from: "/normalization/min").values, fx.normalizer.min)
        // model.h5 is also a TranAD checkpoint (`vigil score --checkpoint` reads it)
        XCTAssertEqual(try TranADCheckpoint.load(path: dir.sub(b + "model.h5"), workers: 1).normMax, fx.normalizer.max)
    }

    func testLoadedBundleReproducesTheModelsScores() throws {
        for (alignment, precision) in [(TranADWindowAlignment.inclusive, TranADPrecision.float32), (.reference, .float64)] {
            let fx = try Fitted.tranad(alignment: alignment, precision: precision)
            let dir = try TempDir()
            try fx.export(to: dir.sub("b"))
            let bundle = try ServingBundle.load(dir.sub("b"), workers: 1, verifyCheckpoint: true)
            let raw = rawMatrix(rows: 50, f: 3, seed: 5, spikeAt: 30..<34)
            var o = ServingScorer.Options()
            o.includePerTimestep = true
            let r = try ServingScorer.score(bundle, request: ScoreRequest(data: raw, source: "rows"), options: o)
            let expected = try fx.detector.score(fx.normalizer.apply(raw)).aggregate
            XCTAssertEqual(r.response.perTimestep?.map(\.score), expected, "\(alignment) \(precision)")
            XCTAssertEqual(r.response.perTimestep?.map(\.isAnomaly), expected.map { $0 > bundle.state.threshold })
            XCTAssertEqual(bundle.state.alignment, alignment.rawValue)
        }
    }

    func testIsolationForestAndBaselineBundles() throws {
        var cfg = IsolationForest.Configuration()
        cfg.nEstimators = 20
        let forest = try Fitted.fit(IsolationForestAnomalyDetector(configuration: cfg, parallelism: 1))
        let dir = try TempDir()
        try forest.export(to: dir.sub("iforest"), calibration: .percentile(99))
        XCTAssertEqual(dir.names("iforest"), ["checksums.sha256", "eval_results.json", "model.h5", "norm_params.npy", "scorer_state.json"])
        let json = try jsonObject(try dir.bytes("iforest/scorer_state.json"))
        XCTAssertNil(json["feature_baselines"], "no per-dimension scores, no baselines")
        XCTAssertNil(json["attribution"])
        XCTAssertEqual(json["method"] as? String, "percentile")
        XCTAssertEqual(num((json["details"] as? [String: Any])?["percentile"]), 99)
        XCTAssertEqual(num(json["threshold"]), VigilThresholds.percentile(forest.train.aggregate, 99))
        XCTAssertEqual(json["window_size"] as? Int, 1)
        XCTAssertEqual(json["scoring_mode"] as? String, "iforest")
        let bundle = try ServingBundle.load(dir.sub("iforest"))
        let raw = rawMatrix(rows: 40, f: 3, seed: 9, spikeAt: 10..<13)
        let r = try ServingScorer.score(bundle, request: ScoreRequest(data: raw, source: "rows"), options: .init())
        XCTAssertEqual(r.scores.aggregate, try forest.detector.score(forest.normalizer.apply(raw)).aggregate)
        XCTAssertTrue(r.response.anomalySegments.allSatisfy { $0.attributedDimensions == nil })

        let pca = try Fitted.fit(PCADetector(configuration: .init()))
        try pca.export(to: dir.sub("pca"))
        let pb = try ServingBundle.load(dir.sub("pca"))
        XCTAssertEqual(pb.state.featureBaselines, try SegmentAttribution(training: pca.train).baselines)
        XCTAssertEqual(try ServingScorer.score(pb, request: ScoreRequest(data: raw, source: "rows"), options: .init()).scores.aggregate,
                       try pca.detector.score(pca.normalizer.apply(raw)).aggregate)
        let f = try HDF5File.openSealed(dir.sub("pca/model.h5"))
        XCTAssertEqual(try f.groupNames(), ["pca"])
        XCTAssertEqual(try f.stringAttribute("model"), "pca")
        try f.close()
    }

    func testOnlyDeployableThresholdsAreExported() throws {
        let fx = try Fitted.tranad()
        for m in [CalibrationMethod.potStream(POTParameters(level: 0.9), .referenceStatic), .bestF1Oracle(.pointwiseF1)] {
            XCTAssertThrowsError(try ExportPlan.prepare(detector: fx.detector, trainScores: fx.train, calibration: m,
                                                        normalizer: fx.normalizer, provenance: testProvenance)) {
                XCTAssertEqual($0 as? ExportError, .nonDeployableThreshold(m.name))
            }
        }
    }

    func testPublishIsStagedAndReplacesOnlyABundle() throws {
        let fx = try Fitted.tranad()
        let dir = try TempDir()
        // a write that fails half-way leaves nothing: the detector of this plan is not fitted
        let good = try ExportPlan.prepare(detector: fx.detector, trainScores: fx.train, calibration: .pot(POTParameters(level: 0.9)),
                                          normalizer: fx.normalizer, provenance: testProvenance)
        let broken = ExportPlan(detector: TranADDetector(config: TranADConfig(), workers: 1), state: good.state, normalizer: fx.normalizer)
        XCTAssertThrowsError(try broken.write(to: dir.sub("out/b"), evalResults: Data("{}".utf8)))
        XCTAssertEqual(dir.names("out"), [], "neither the bundle nor its staging directory is left")
        // an existing directory that is not a bundle is never replaced
        try dir.write("out/b/notes.txt", Array("mine".utf8))
        XCTAssertThrowsError(try good.write(to: dir.sub("out/b"), evalResults: Data("{}".utf8))) {
            XCTAssertTrue("\($0)".contains("is not a Vigil export"), "\($0)")
        }
        XCTAssertEqual(dir.names("out/b"), ["notes.txt"])
        // an existing bundle is replaced whole
        try good.write(to: dir.sub("out/c"), evalResults: Data("{\"v\": 1}".utf8))
        try good.write(to: dir.sub("out/c"), evalResults: Data("{\"v\": 2}".utf8))
        XCTAssertEqual(try dir.bytes("out/c/eval_results.json"), Array("{\"v\": 2}".utf8))
        XCTAssertEqual(dir.names("out"), ["b", "c"])
    }

    func testDamagedMissingAndInconsistentFilesAreRefused() throws {
        let fx = try Fitted.tranad()
        let dir = try TempDir()
        try fx.export(to: dir.sub("good"))
        func copy() throws -> String {
            let p = dir.sub("case-\(UUID().uuidString)")
            try FileManager.default.copyItem(atPath: dir.sub("good"), toPath: p)
            return p
        }
        func refused(_ path: String, verify: Bool = false, _ check: (String) -> Bool, line: UInt = #line) {
            XCTAssertThrowsError(try ServingBundle.load(path, workers: 1, verifyCheckpoint: verify), line: line) {
                XCTAssertTrue(check("\($0)"), "\($0)", line: line)
            }
        }
        // one flipped byte in any file: named by its checksum
        for name in BundleLayout.files(forModel: "tranad") {
            let p = try copy()
            var b = [UInt8](try Data(contentsOf: URL(fileURLWithPath: p + "/" + name)))
            b[b.count / 2] ^= 0x20
            try Data(b).write(to: URL(fileURLWithPath: p + "/" + name))
            refused(p) { $0.contains("\(p)/\(name) is damaged: its sha256") && $0.contains("differs from") }
        }
        // a missing file or manifest
        for name in BundleLayout.files(forModel: "tranad") + [BundleLayout.checksums] {
            let p = try copy()
            try FileManager.default.removeItem(atPath: p + "/" + name)
            refused(p) { $0 == "\(p) has no \(name): the export is incomplete; export it again (`vigil export RUN-DIR/MACHINE --out \(p)` or `vigil run`)" }
        }
        // a damaged model.h5 whose manifest was rewritten still fails its own seal
        do {
            let p = try copy()
            var b = [UInt8](try Data(contentsOf: URL(fileURLWithPath: p + "/model.h5")))
            b[1000] ^= 0x01   // in the HDF5 body (the seal's damage map at the end only names damage)
            try Data(b).write(to: URL(fileURLWithPath: p + "/model.h5"))
            try rewriteManifest(p)
            refused(p) { $0.contains("model.h5") && $0.contains("is damaged") }
        }
        // norm_params.npy that disagrees with model.h5's statistics
        do {
            let p = try copy()
            var lo = fx.normalizer.min
            lo[0] -= 1
            try Data(NpyWriter.float64Bytes(lo + fx.normalizer.max, shape: [2, 3])).write(to: URL(fileURLWithPath: p + "/norm_params.npy"))
            try rewriteManifest(p)
            refused(p) { $0.contains("norm_params.npy differs from the normalization statistics in model.h5") }
        }
        // model.ckpt whose tensor differs from model.h5's (checked when re-exporting)
        do {
            let p = try copy()
            let t = try XCTUnwrap((fx.detector as? TranADDetector)?.trainer)
            var sd = try TorchCheckpointReader.read(try Data(contentsOf: URL(fileURLWithPath: p + "/model.ckpt")).map { $0 }).stateDict(at: "model_state_dict")
            var v = try sd[3].tensor.float32Values()
            v[0] += 1
            sd[3].tensor = try TorchTensor(float32: v, shape: sd[3].tensor.shape)
            try Data(try TorchCheckpointWriter.serialize(.trainingCheckpoint(stateDict: sd, epoch: t.history.count - 1), archiveName: "model"))
                .write(to: URL(fileURLWithPath: p + "/model.ckpt"))
            try rewriteManifest(p)
            XCTAssertNoThrow(try ServingBundle.load(p, workers: 1), "scoring reads model.h5 only")
            refused(p, verify: true) { $0.contains("model.ckpt's \(sd[3].key) differs from model.h5's") }
        }
        // a scorer state that claims another window than the model's
        do {
            let p = try copy()
            let s = String(decoding: try Data(contentsOf: URL(fileURLWithPath: p + "/scorer_state.json")), as: UTF8.self)
                .replacingOccurrences(of: "\"window_size\" : 4", with: "\"window_size\" : 5")
            try Data(s.utf8).write(to: URL(fileURLWithPath: p + "/scorer_state.json"))
            try rewriteManifest(p)
            refused(p) { $0.contains("model.h5 has window 4 but scorer_state.json says 5") }
        }
    }

    func testScorerStateVersionTransformAndHonestyChecks() throws {
        let fx = try Fitted.tranad()
        let plan = try ExportPlan.prepare(detector: fx.detector, trainScores: fx.train, calibration: .pot(POTParameters(level: 0.9)),
                                          normalizer: fx.normalizer, provenance: testProvenance)
        let good = Array(try plan.state.jsonData())
        XCTAssertEqual(try ScorerState.decode(good, path: "s.json"), plan.state)
        func mutated(_ body: (inout [String: Any]) -> Void) throws -> [UInt8] {
            var o = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(good)) as? [String: Any])
            body(&o)
            return Array(try JSONSerialization.data(withJSONObject: o))
        }
        let cases: [(String, (inout [String: Any]) -> Void)] = [
            ("format_version 2 is newer than this vigil reads (1)", { $0["format_version"] = 2 }),
            ("carries a score transform, which this vigil", { $0["transform"] = ["kind": "zscore"] }),
            ("read test data", { $0["reads_test_labels"] = true }),
            ("read test data", { $0["reads"] = ["train", "test_scores"] }),
            ("feature_baselines has 2 values for 3 features", { $0["feature_baselines"] = [1.0, 2.0] }),
            ("feature_baselines[1] = 0.0 is not a positive finite number", { $0["feature_baselines"] = [1.0, 0.0, 2.0] }),
            ("missing key 'threshold'", { $0["threshold"] = nil }),
            ("threshold is not a number", { $0["threshold"] = "high" }),
            ("format 'other' is not", { $0["format"] = "other" }),
        ]
        for (expected, body) in cases {
            XCTAssertThrowsError(try ScorerState.decode(try mutated(body), path: "s.json")) {
                XCTAssertTrue("\($0)".contains(expected), "\($0) lacks \(expected)")
            }
        }
        XCTAssertNoThrow(try ScorerState.decode(try mutated { $0["transform"] = NSNull() }, path: "s.json"), "a null transform is none")
        XCTAssertThrowsError(try ScorerState.decode(Array("not json".utf8), path: "s.json")) {
            XCTAssertEqual("\($0)", "s.json is damaged: it is not a scorer state this vigil reads (not valid JSON); restore the bundle from a copy or export it again")
        }
    }
}
