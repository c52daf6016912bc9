import Foundation
import VigilTestFiles
import XCTest
@testable import VigilConfig
import VigilTranAD

/// A temporary directory removed at the end of the test (`TestDirectory` with this target's prefix).
typealias ConfigDir = TestDirectory

extension TestDirectory {
    convenience init() throws { try self.init(prefix: "vigil-config") }
}

final class ConfigTests: XCTestCase {
    func problems(_ body: () throws -> Any) -> [String] {
        do { _ = try body(); return [] } catch let e as ConfigError { return e.problems.map(\.description) } catch {
            return ["unexpected \(error)"]
        }
    }

    func testDefaultsAreTheReferenceProtocol() throws {
        let c = try ExperimentConfig(ResolvedConfig.defaults())
        XCTAssertEqual(c.models, [.tranad, .iforest])
        XCTAssertEqual(c.tranad, TranADConfig())
        XCTAssertEqual(c.iforest.nEstimators, 100)
        XCTAssertEqual(c.calibration.pot.level, 0.99995)
        XCTAssertEqual(c.calibration.pot.q, 1e-5)
        XCTAssertEqual(c.calibration.pot.scale, 1.06)
        XCTAssertEqual(c.calibration.export, .potTrain)
        XCTAssertEqual(c.data, .smd(machines: nil, root: "datasets/SMD", mirror: nil))
        XCTAssertNil(c.threads)
        XCTAssertEqual(c.seed, 0)
    }

    func testUnknownKeyNamesFileLineColumnAndSuggests() throws {
        let d = try ConfigDir()
        let p = try d.write("x.yaml", "models: [tranad]\ntranad:\n  epochz: 3\n")
        XCTAssertEqual(problems { try ExperimentConfig.load(path: p) },
                       ["\(p):3:3: tranad.epochz: unknown key (did you mean epochs?)"])
    }

    func testTypeAndRangeErrorsAreAllReportedInFileOrder() throws {
        let d = try ConfigDir()
        let p = try d.write("x.yaml", """
        tranad:
          lr: -1
          epochs: 2.0
          dtype: float16
        calibration:
          pot: {level: 1.5}
        iforest: 3
        models: []
        """)
        XCTAssertEqual(problems { try ExperimentConfig.load(path: p) }, [
            "\(p):2:7: tranad.lr: expected number in (0.0, 10.0], got -1 (out of range)",
            "\(p):3:11: tranad.epochs: expected integer 1…100000, got 2.0 (write it without a fraction)",
            "\(p):4:10: tranad.dtype: expected one of: float32, float64, got 'float16' (did you mean float32?)",
            "\(p):6:16: calibration.pot.level: expected number in (0.0, 1.0), got 1.5 (out of range)",
            "\(p):7:10: iforest: expected a mapping of keys (trees, samples, feature_engineering)",
            "\(p):8:9: models: expected non-empty list of one of: tranad, iforest, pca, knn, l2_norm, range_deviation, random, untrained_tranad, ensemble (no repeats), got [] (the list is empty)",
        ])
    }

    func testNonFiniteAndYAML11BooleansAreRefused() throws {
        let d = try ConfigDir()
        let p = try d.write("x.yaml", "tranad:\n  lr: .nan\n  shuffle: yes\n")
        XCTAssertEqual(problems { try ExperimentConfig.load(path: p) }, [
            "\(p):2:7: tranad.lr: expected number in (0.0, 10.0], got nan (not finite)",
            "\(p):3:12: tranad.shuffle: expected true or false, got 'yes'",
        ])
    }

    func testDuplicateModelsAndKeysAreRefused() throws {
        let d = try ConfigDir()
        let p = try d.write("x.yaml", "models: [tranad, tranad]\n")
        XCTAssertEqual(problems { try ExperimentConfig.load(path: p) },
                       ["\(p):1:9: models: expected non-empty list of one of: tranad, iforest, pca, knn, l2_norm, range_deviation, random, untrained_tranad, ensemble (no repeats), got [tranad, tranad] (tranad is listed twice (item 2))"])
        let q = try d.write("y.yaml", "seed: 1\nseed: 2\n")
        let msg = problems { try ExperimentConfig.load(path: q) }
        XCTAssertEqual(msg.count, 1)
        XCTAssertTrue(msg[0].contains("seed") && msg[0].contains("twice"), msg[0])
    }

    func testYAMLSyntaxErrorNamesTheLine() throws {
        let d = try ConfigDir()
        let p = try d.write("x.yaml", "tranad:\n  epochs: [1, 2\n")
        let msg = problems { try ExperimentConfig.load(path: p) }
        XCTAssertEqual(msg.count, 1)
        XCTAssertTrue(msg[0].hasPrefix("\(p): YAML syntax error: line "), msg[0])
    }

    func testBaseChainMergesMappingsAndReplacesLists() throws {
        let d = try ConfigDir()
        try d.write("base/root.yaml", "models: [tranad, iforest]\ntranad:\n  epochs: 7\n  lr: 0.001\nseed: 3\n")
        let p = try d.write("exp/child.yaml", "base: ../base/root.yaml\nmodels: [iforest]\ntranad:\n  epochs: 9\n")
        let c = try ExperimentConfig.load(path: p)
        XCTAssertEqual(c.models, [.iforest])
        XCTAssertEqual(c.tranad.epochs, 9)
        XCTAssertEqual(c.tranad.learningRate, 0.001)
        XCTAssertEqual(c.seed, 3)
        XCTAssertEqual(c.resolved.origins["tranad.lr"], .file(path: d.path + "/exp/../base/root.yaml", line: 4, column: 7))
    }

    func testBaseLoopAndMissingBaseAreErrors() throws {
        let d = try ConfigDir()
        let a = try d.write("a.yaml", "base: b.yaml\n")
        try d.write("b.yaml", "base: a.yaml\n")
        XCTAssertTrue(problems { try ExperimentConfig.load(path: a) }.first?.contains("base chain loops") ?? false)
        let m = try d.write("m.yaml", "base: nowhere.yaml\n")
        XCTAssertEqual(problems { try ExperimentConfig.load(path: m) },
                       ["\(m):1:7: base: \(d.path)/nowhere.yaml: no such config file"])
    }

    func testOverridesAreTypedAndChecked() throws {
        let d = try ConfigDir()
        let p = try d.write("x.yaml", "tranad:\n  lr: 0.0001\n")
        let c = try ExperimentConfig.load(path: p, overrides: ["tranad.lr=0.001", "models=[iforest]", "data.machines=[machine-1-1]", "seed=18446744073709551615"])
        XCTAssertEqual(c.tranad.learningRate, 0.001)
        XCTAssertEqual(c.models, [.iforest])
        XCTAssertEqual(c.data, .smd(machines: ["machine-1-1"], root: "datasets/SMD", mirror: nil))
        XCTAssertEqual(c.seed, UInt64.max)
        XCTAssertEqual(c.resolved.origins["tranad.lr"], .commandLine(argument: "tranad.lr=0.001"))
        XCTAssertEqual(problems { try ExperimentConfig.load(path: p, overrides: ["tranad.lrr=1"]) },
                       ["--set tranad.lrr=1: tranad.lrr: unknown key (did you mean lr?)"])
        XCTAssertEqual(problems { try ExperimentConfig.load(path: p, overrides: ["tranad.window=0"]) },
                       ["--set tranad.window=0: tranad.window: expected integer 1…10000, got 0 (out of range)"])
        XCTAssertEqual(problems { try ExperimentConfig.load(path: p, overrides: ["tranad"]) },
                       ["--set tranad: expected KEY=VALUE, e.g. --set tranad.lr=0.001"])
        XCTAssertEqual(problems { try ExperimentConfig.load(path: p, overrides: ["data.machines=[machine-9-9]"]) }.count, 1)
    }

    func testSHA256IgnoresOrderCommentsWhereAndSelection() throws {
        let d = try ConfigDir()
        let a = try d.write("a.yaml", "seed: 1\ntranad:\n  epochs: 3\n  lr: 0.001\n")
        let b = try d.write("b.yaml", "# comment\ntranad: {lr: 1.0e-3, epochs: 3}\nseed: 1\ndata:\n  mirror: /somewhere\n  machines: [machine-1-1]\n")
        let ca = try ExperimentConfig.load(path: a), cb = try ExperimentConfig.load(path: b)
        XCTAssertEqual(ca.sha256, cb.sha256)
        XCTAssertEqual(ca.sha256.count, 64)
        let cc = try ExperimentConfig.load(path: a, overrides: ["tranad.epochs=4"])
        XCTAssertNotEqual(ca.sha256, cc.sha256)
        // the identity JSON holds every identity key and no location keys
        XCTAssertTrue(ca.resolved.identityJSON.contains("\"lr\":0.001"))
        XCTAssertFalse(ca.resolved.identityJSON.contains("mirror"))
        XCTAssertFalse(ca.resolved.identityJSON.contains("machines"))
    }

    func testResolvedYAMLReadsBackToTheSameConfig() throws {
        let d = try ConfigDir()
        let p = try d.write("x.yaml", "seed: 5\nmodels: [iforest, tranad]\niforest:\n  samples: 0.5\n  feature_engineering:\n    lags: [1, 3]\n    rolling_window: 4\n    rolling_statistics: [mean, std]\ntranad:\n  loss_weighting: exponential_decay(1.5)\n")
        let c = try ExperimentConfig.load(path: p)
        let text = c.resolved.yaml(header: "resolved")
        let q = try d.write("round.yaml", text)
        let back = try ExperimentConfig.load(path: q)
        XCTAssertEqual(back.resolved.values, c.resolved.values)
        XCTAssertEqual(back.sha256, c.sha256)
        XCTAssertEqual(back.iforest.maxSamples, .fraction(0.5))
        XCTAssertEqual(back.featureEngineering.lags, [1, 3])
        XCTAssertEqual(back.tranad.lossWeighting, .exponentialDecay(epsilon: 1.5))
        XCTAssertTrue(text.contains("  epochs: 5\n"), text)
        XCTAssertTrue(text.contains("seed: 5  # \(p):1:7"), text)
    }

    func testCrossKeyRules() throws {
        let d = try ConfigDir()
        let p = try d.write("x.yaml", "data:\n  dir: mydata\n  machines: [machine-1-1]\niforest:\n  feature_engineering:\n    rolling_statistics: [mean]\n")
        XCTAssertEqual(problems { try ExperimentConfig.load(path: p) }, [
            "\(p):3:13: data.machines: cannot be combined with data.dir (a directory dataset has no machines)",
            "default: iforest.feature_engineering.rolling_window: must be at least 2 when rolling_statistics are requested",
        ])
    }

    func testResolvedYAMLOfADirectoryDatasetReadsBack() throws {
        let d = try ConfigDir()
        let c = try ExperimentConfig.load(path: try d.write("x.yaml", "data: {dir: mydata}\n"))
        let back = try ExperimentConfig.load(path: try d.write("round.yaml", c.resolved.yaml()))
        XCTAssertEqual(back.data, .directory("mydata"))
        XCTAssertEqual(back.sha256, c.sha256)
    }

    func testSamplesAcceptsAutoCountOrFraction() throws {
        let d = try ConfigDir()
        let p = try d.write("x.yaml", "iforest: {samples: 128}\n")
        XCTAssertEqual(try ExperimentConfig.load(path: p).iforest.maxSamples, .count(128))
        XCTAssertEqual(problems { try ExperimentConfig.load(path: p, overrides: ["iforest.samples=1.5"]) },
                       ["--set iforest.samples=1.5: iforest.samples: expected `auto` | integer 1…2147483647 | number in (0.0, 1.0], got 1.5 (out of range)"])
    }

    func testReferenceTableListsEveryKey() {
        let table = ConfigSchema.experiment.markdownReference()
        for k in ConfigSchema.experiment.keys { XCTAssertTrue(table.contains("| `\(k.path)` |"), k.path) }
        XCTAssertTrue(table.contains("| `tranad.lr` | number in (0.0, 10.0] | `0.0001` |"), table)
    }
}

final class ReadmeReferenceTests: XCTestCase {
    /// The README's config reference is exactly what the schema generates (so the two cannot drift).
    func testReadmeEmbedsTheGeneratedReference() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        let start = try XCTUnwrap(readme.range(of: "<!-- config-reference:start"))
        let end = try XCTUnwrap(readme.range(of: "<!-- config-reference:end -->"))
        let afterMarker = readme[start.upperBound...].firstIndex(of: "\n").map { readme.index(after: $0) }!
        let embedded = String(readme[afterMarker..<end.lowerBound])
        XCTAssertEqual(embedded, ConfigSchema.experiment.markdownReference(),
                       "README.md's config reference is stale: replace it with the output of `vigil config reference`")
    }

    /// The committed default config resolves and equals the schema defaults except where it says otherwise.
    func testDefaultConfigResolves() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let c = try ExperimentConfig.load(path: root.appendingPathComponent("experiments/smd-default.yaml").path)
        XCTAssertEqual(c.sha256, try ExperimentConfig(ResolvedConfig.defaults()).sha256)
    }
}
