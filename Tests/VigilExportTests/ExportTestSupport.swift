import Foundation
import XCTest
import VigilBaselines
import VigilData
import VigilIO
import VigilResults
import VigilIsolationForest
import VigilMetrics
import VigilScores
import VigilThresholds
import VigilTranAD
@testable import VigilExport

/// A temporary directory removed at the end of the test.
final class TempDir {
    let path: String
    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-export-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
    func sub(_ rel: String) -> String { (path as NSString).appendingPathComponent(rel) }
    func bytes(_ rel: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: URL(fileURLWithPath: sub(rel)))) }
    func write(_ rel: String, _ bytes: [UInt8]) throws {
        let p = sub(rel)
        try FileManager.default.createDirectory(atPath: (p as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(bytes).write(to: URL(fileURLWithPath: p))
    }
    func names(_ rel: String = "") -> [String] { ((try? FileManager.default.contentsOfDirectory(atPath: sub(rel))) ?? []).sorted() }
}

/// Deterministic raw rows (not in [0, 1]: the bundle's normalization matters): rows × f, column c around 10·(c+1).
func rawMatrix(rows: Int, f: Int, seed: Int = 1, spikeAt: Range<Int>? = nil) -> DataMatrix {
    var v = [Double](repeating: 0, count: rows * f)
    for r in 0..<rows {
        for c in 0..<f {
            let wave = sin(Double(r) * 0.3 + Double(c)) * 2
            let noise = Double((r * 7919 + c * 104_729 + seed * 31) % 1000) / 1000
            v[r * f + c] = 10 * Double(c + 1) + wave + noise + ((spikeAt?.contains(r) ?? false) && c == 1 ? 25 : 0)
        }
    }
    return DataMatrix(rows: rows, cols: f, values: v)
}

let testProvenance = ExportProvenance(vigilVersion: "0.1.0-test", vigilCommit: "0123456789abcdef", vigilDirty: false, unit: "machine-test",
                                      dataset: "synthetic", datasetSHA256: ["train": String(repeating: "a", count: 64)],
                                      configSHA256: String(repeating: "b", count: 64), command: "vigil test", trainingRows: 120,
                                      modelSettings: ["model": "test"])

/// A fitted detector, its normalizer and training scores on 120 synthetic rows of 3 columns.
struct Fitted {
    let detector: AnomalyDetector
    let normalizer: MinMaxNormalizer
    let train: ScoreSet
    let rawTrain: DataMatrix

    static func tranad(window: Int = 4, alignment: TranADWindowAlignment = .inclusive, precision: TranADPrecision = .float32,
                       scoring: TranADScoring = .phase2Only, epochs: Int = 1) throws -> Fitted {
        var c = TranADConfig()
        c.window = window; c.alignment = alignment; c.precision = precision; c.scoring = scoring; c.epochs = epochs; c.batchSize = 32
        return try fit(TranADDetector(config: c, workers: 1))
    }

    static func fit(_ d: AnomalyDetector) throws -> Fitted {
        let raw = rawMatrix(rows: 120, f: 3)
        let norm = MinMaxNormalizer(fitting: raw)
        let x = norm.apply(raw)
        try d.fit(x, progress: nil)
        return Fitted(detector: d, normalizer: norm, train: try d.score(x), rawTrain: raw)
    }

    /// A written bundle in `dir` (POT at level 0.9, so 120 training scores have peaks).
    @discardableResult
    func export(to dir: String, calibration: CalibrationMethod = .pot(POTParameters(level: 0.9)),
                evalResults: String = "{\"machine\": \"machine-test\"}\n") throws -> ExportPlan {
        let plan = try ExportPlan.prepare(detector: detector, trainScores: train, calibration: calibration, normalizer: normalizer,
                                          provenance: testProvenance)
        try plan.write(to: dir, evalResults: Data(evalResults.utf8))
        return plan
    }
}

/// Rewrites checksums.sha256 of `dir` to match its files (to build a bundle whose manifest is right but whose
/// content is inconsistent).
func rewriteManifest(_ dir: String) throws {
    let m = try ChecksumManifest.read(directory: dir)
    var d: [String: String] = [:]
    for name in m.digests.keys { d[name] = try SHA256Hasher.hexOfFile((dir as NSString).appendingPathComponent(name)).hex }
    try Data(ChecksumManifest(digests: d).text.utf8).write(to: URL(fileURLWithPath: (dir as NSString).appendingPathComponent(BundleLayout.checksums)))
}

/// A detector that ignores its input and returns fixed per-dimension scores (rows × dims), for hand-made cases.
final class TableDetector: AnomalyDetector {
    let name = "tranad"
    let provenance: [String: String] = [:]
    let table: [[Double]]
    init(_ table: [[Double]]) { self.table = table }
    func fit(_ train: DataMatrix, progress: ((String) -> Void)?) throws {}
    func score(_ x: DataMatrix) throws -> ScoreSet {
        ScoreSet(model: name, perDimension: table.flatMap { $0 }, rows: table.count, dims: table[0].count)
    }
}

/// A JSON object as nested `[String: Any]`, `[Any]`, `Double`, `Int`, `String`, `Bool`, `NSNull`, parsed with JSONDecoder
/// (exact doubles; Foundation's JSONSerialization is off by an ulp for some on Linux).
func jsonObject(_ bytes: [UInt8]) throws -> [String: Any] {
    let v = try JSONDecoder().decode(JSONValue.self, from: Data(bytes))
    return try XCTUnwrap(plain(v) as? [String: Any])
}

func plain(_ v: JSONValue) -> Any {
    switch v {
    case .null: return NSNull()
    case .bool(let b): return b
    case .int(let i): return i
    case .double(let d): return d
    case .string(let s): return s
    case .array(let a): return a.map(plain)
    case .object(let o): return o.mapValues(plain)
    }
}

/// A JSON number (an integer-valued double is written without a fraction, e.g. `99`) as Double.
func num(_ v: Any?) -> Double? {
    if let d = v as? Double { return d }
    if let i = v as? Int { return Double(i) }
    return nil
}
