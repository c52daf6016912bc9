import XCTest
import VigilIO
import VigilHDF5
@testable import VigilData

final class LoaderTests: XCTestCase {
    let fixture = FixtureMachine(trainRows: 6, testRows: 8)

    private func rawMatrix(_ t: Int, rows: Int) -> DataMatrix {
        let v = (0..<rows).flatMap { r in (0..<38).map { Double(String(format: "%.6f", fixture.value(t, r, $0)))! } }
        return DataMatrix(rows: rows, cols: 38, values: v)
    }

    func testLoadScalesWithTrainStatisticsAndBuildsThenReusesCache() throws {
        let dir = try TempDir()
        try fixture.write(to: dir, root: "SMD", machine: "machine-1-1")
        let loader = SMDLoader(root: dir.sub("SMD"))
        let (ds, status) = try loader.loadWithStatus("machine-1-1")
        XCTAssertEqual(status, .built)
        let rawTrain = rawMatrix(0, rows: 6), rawTest = rawMatrix(1, rows: 8)
        for c in 0..<38 {
            let col = (0..<6).map { rawTrain[$0, c] }
            let mn = col.min()!, mx = col.max()!
            XCTAssertEqual(ds.normMin[c], mn)
            XCTAssertEqual(ds.normMax[c], mx)
            for r in 0..<6 { XCTAssertEqual(ds.train[r, c], (rawTrain[r, c] - mn) / (mx - mn + 1e-4)) }
            for r in 0..<8 { XCTAssertEqual(ds.test[r, c], (rawTest[r, c] - mn) / (mx - mn + 1e-4)) }
        }
        XCTAssertEqual(ds.train.rows, 6)
        XCTAssertEqual(ds.test.rows, 8)
        XCTAssertEqual(ds.labels, [0, 0, 1, 1, 1, 0, 1, 0])
        let il = try XCTUnwrap(ds.interpretationLabels)
        XCTAssertEqual(il.count, 8 * 38)
        XCTAssertEqual(il[2 * 38 + 0], 1)
        XCTAssertEqual(il[4 * 38 + 2], 1)
        XCTAssertEqual(il[5 * 38 + 0], 0)
        XCTAssertEqual(il[6 * 38 + 37], 1)
        XCTAssertEqual(il.reduce(0) { $0 + Int($1) }, 3 * 2 + 1)
        XCTAssertEqual(ds.sourceSHA256["train"], SHA256Hasher.hex(of: Array(fixture.train.utf8)))

        // The cache holds the documented layout, and a second load reuses it with identical values.
        let f = try HDF5File(path: loader.cachePath(for: "machine-1-1"), mode: .readOnly)
        XCTAssertEqual(try f.datasetNames(), ["interpretation_labels", "labels", "norm_max", "norm_min", "test", "train"])
        XCTAssertEqual(try f.shape(of: "train"), [6, 38])
        XCTAssertEqual(try f.stringAttribute("source_sha256_test_label"), SHA256Hasher.hex(of: Array(fixture.labels.utf8)))
        XCTAssertEqual(try f.doubleAttribute("epsilon"), 1e-4)
        try f.close()
        let (again, status2) = try loader.loadWithStatus("machine-1-1")
        XCTAssertEqual(status2, .reused)
        XCTAssertEqual(again, ds)

        var off = SMDLoader(root: dir.sub("SMD"))
        off.useCache = false
        let (fresh, status3) = try off.loadWithStatus("machine-1-1")
        XCTAssertEqual(status3, .disabled)
        XCTAssertEqual(fresh, ds)
    }

    func testCacheRebuiltWhenSourceChangesOrCacheIsCorrupt() throws {
        let dir = try TempDir()
        try fixture.write(to: dir, root: "SMD", machine: "machine-1-1")
        let loader = SMDLoader(root: dir.sub("SMD"))
        let first = try loader.load("machine-1-1")
        // Change one training value: the cache must be rebuilt and the scaling must change.
        var lines = fixture.train.split(separator: "\n").map(String.init)
        var cells = lines[0].split(separator: ",").map(String.init)
        cells[0] = "5.000000"
        lines[0] = cells.joined(separator: ",")
        try dir.write("SMD/train/machine-1-1.txt", lines.joined(separator: "\n") + "\n")
        let (second, status) = try loader.loadWithStatus("machine-1-1")
        XCTAssertEqual(status, .rebuilt(reason: "source train changed"))
        XCTAssertEqual(second.normMax[0], 5)
        XCTAssertNotEqual(second.train, first.train)
        XCTAssertEqual(try loader.loadWithStatus("machine-1-1").cache, .reused)
        // A damaged cache file is rebuilt, not trusted.
        try dir.write("SMD/processed/machine-1-1.h5", "this is not HDF5")
        let (third, status3) = try loader.loadWithStatus("machine-1-1")
        guard case .rebuilt(let reason) = status3 else { return XCTFail("\(status3)") }
        XCTAssertTrue(reason.hasPrefix("unreadable"), reason)
        XCTAssertEqual(third, second)
    }

    /// A cache whose arrays were damaged after it was written (sources unchanged, file still valid HDF5) is detected
    /// by its per-array sha256 and rebuilt from the sources; every byte of the train array is covered.
    func testCacheWithDamagedArrayIsRebuilt() throws {
        let dir = try TempDir()
        try fixture.write(to: dir, root: "SMD", machine: "machine-1-1")
        let loader = SMDLoader(root: dir.sub("SMD"))
        let good = try loader.load("machine-1-1")
        let cache = loader.cachePath(for: "machine-1-1")
        // Flip one bit of one stored training value in place (locate its 8 bytes in the file).
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: cache)))
        let needle = withUnsafeBytes(of: good.train.values[5].bitPattern.littleEndian) { Array($0) }
        let at = try XCTUnwrap((0...(bytes.count - 8)).first { Array(bytes[$0..<($0 + 8)]) == needle })
        bytes[at] ^= 0x01
        try Data(bytes).write(to: URL(fileURLWithPath: cache))
        let (again, status) = try loader.loadWithStatus("machine-1-1")
        guard case .rebuilt(let reason) = status else { return XCTFail("a damaged cache was reused: \(status)") }
        XCTAssertTrue(reason.contains("train is damaged"), reason)
        XCTAssertEqual(again, good)
        XCTAssertEqual(try loader.loadWithStatus("machine-1-1").cache, .reused, "the rebuilt cache verifies")
    }

    func testLoaderErrors() throws {
        let dir = try TempDir()
        try fixture.write(to: dir, root: "SMD", machine: "machine-1-1", gzip: true)
        // gzip sources load too; then break the labels' length.
        XCTAssertEqual(try SMDLoader(root: dir.sub("SMD")).load("machine-1-1").labels.count, 8)
        try FileManager.default.removeItem(atPath: dir.sub("SMD/test_label/machine-1-1.txt.gz"))
        let shortLabels = try dir.write("SMD/test_label/machine-1-1.txt", "0\n1\n")
        XCTAssertThrowsDataError(try SMDLoader(root: dir.sub("SMD")).load("machine-1-1")) { e in
            XCTAssertEqual(e, .labelLengthMismatch(file: shortLabels, labels: 2, testRows: 8))
        }
        XCTAssertThrowsDataError(try SMDLoader(root: dir.sub("SMD")).load("machine-1-2")) { e in
            XCTAssertEqual(e, .missingSource(machine: "machine-1-2", path: dir.sub("SMD/train/machine-1-2.txt")))
            XCTAssertTrue(e.description.contains("vigil data download smd --machines machine-1-2"))
        }
        XCTAssertThrowsDataError(try SMDLoader(root: dir.sub("SMD")).load("machine-9-9")) { e in
            guard case .unknownMachine = e else { return XCTFail("\(e)") }
        }
        // A ragged test row is reported with the installed file's path.
        try dir.write("SMD/test_label/machine-1-1.txt", fixture.labels)
        var testLines = fixture.test.split(separator: "\n").map(String.init)
        testLines[3] = testLines[3].split(separator: ",").dropLast().joined(separator: ",")
        try FileManager.default.removeItem(atPath: dir.sub("SMD/test/machine-1-1.txt.gz"))
        let testPath = try dir.write("SMD/test/machine-1-1.txt", testLines.joined(separator: "\n") + "\n")
        XCTAssertThrowsDataError(try SMDLoader(root: dir.sub("SMD")).load("machine-1-1")) { e in
            XCTAssertEqual(e, .parse(file: testPath, line: 4, column: 38, reason: "expected 38 columns, found 37"))
        }
    }
}
