import XCTest
import VigilHDF5
@testable import VigilData

/// Reads the real SMD mirror at ../shared/datasets/SMD (relative to the package root) when it exists.
final class SharedMirrorIntegrationTests: XCTestCase {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let mirror = packageRoot.deletingLastPathComponent().appendingPathComponent("shared/datasets/SMD").path
    static let manifest = packageRoot.appendingPathComponent("datasets/SMD/MANIFEST.sha256").path

    func testInstallAndLoadMachine21FromSharedMirror() throws {
        guard FileManager.default.fileExists(atPath: Self.mirror + "/train/machine-2-1.txt.gz") else {
            throw XCTSkip("SMD mirror not found at \(Self.mirror); skipping the real-data integration test")
        }
        let manifest = try Manifest(contentsOf: Self.manifest)
        XCTAssertEqual(manifest.entries.count, 112)
        XCTAssertEqual(SMDInstaller.machines(inMirror: Self.mirror).count, 19)
        let dir = try TempDir()
        let installer = SMDInstaller(manifest: manifest, destination: dir.sub("SMD"), source: .mirror(Self.mirror))
        let report = try installer.install(machines: ["machine-2-1"])
        XCTAssertEqual(report.complete, ["machine-2-1"])
        XCTAssertTrue(report.failures.isEmpty, "\(report.failures)")

        let loader = SMDLoader(root: dir.sub("SMD"))
        let (ds, status) = try loader.loadWithStatus("machine-2-1")
        XCTAssertEqual(status, .built)
        XCTAssertEqual(ds.train.rows, 23693)
        XCTAssertEqual(ds.test.rows, 23694)
        XCTAssertEqual(ds.train.cols, 38)
        XCTAssertEqual(ds.labels.reduce(0) { $0 + Int($1) }, 1170)
        // Reference values from numpy: (x - min) / (max - min + 1e-4) with train statistics.
        XCTAssertEqual(ds.normMin[6], 0.136371)
        XCTAssertEqual(ds.normMax[6], 0.871121)
        XCTAssertEqual(ds.test[100, 5], 0.7917310698096364, accuracy: 1e-15)
        // On machine-2-1 the per-dimension labels cover exactly the anomalous rows of test_label.
        let il = try XCTUnwrap(ds.interpretationLabels)
        for r in 0..<ds.test.rows {
            let any: UInt8 = il[(r * 38)..<((r + 1) * 38)].max()!
            if any != ds.labels[r] { return XCTFail("row \(r): interpretation \(any) vs label \(ds.labels[r])") }
        }
        let f = try HDF5File(path: loader.cachePath(for: "machine-2-1"), mode: .readOnly)
        XCTAssertEqual(try f.stringAttribute("source_sha256_train"), manifest.entry(for: "train/machine-2-1.txt")?.sha256)
    }
}
