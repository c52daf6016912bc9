import Foundation
import XCTest
import VigilIO
@testable import VigilHDF5

final class HDF5SafetyTests: XCTestCase {
    var dir: String!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-hdf5s-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: dir) }

    func file(_ name: String = "t.h5") -> String { dir + "/" + name }

    func testChecksummedDatasetsAndAttributesRoundTrip() throws {
        let p = file()
        try HDF5File.write(to: p) { f in
            try f.writeChecksummed([Float(1.5), -2, 3, 4], shape: [2, 2], to: "w")
            try f.writeChecksummed([Int64(7), 8], shape: [2], to: "g/offsets")
            try f.setChecksummedAttribute("config_json", string: "{\"a\":1}")
        }
        let f = try HDF5File(path: p, mode: .readOnly)
        XCTAssertEqual(try f.readVerified(Float.self, from: "w").values, [1.5, -2, 3, 4])
        let d = try f.readVerified(Double.self, from: "w")   // verified in the stored type, then converted
        XCTAssertEqual(d.values, [1.5, -2, 3, 4])
        XCTAssertEqual(d.shape, [2, 2])
        XCTAssertEqual(try f.readVerified(Int64.self, from: "g/offsets").values, [7, 8])
        XCTAssertEqual(try f.verifiedStringAttribute("config_json"), "{\"a\":1}")
        // The checksum is the documented canonical one (independent recomputation of the byte layout).
        var h = SHA256Hasher()
        h.update(Array("vigil-hdf5-sha256-v1 float32 2,2\n".utf8))
        for v in [Float(1.5), -2, 3, 4] { withUnsafeBytes(of: v.bitPattern.littleEndian) { h.update($0) } }
        XCTAssertEqual(try f.stringAttribute("sha256", at: "w"), h.finalizeHex())
        try f.close()
    }

    /// Per-dataset checksums on an unsealed file (tampered through the HDF5 API, so libhdf5 can parse it).
    func testMismatchAndMissingChecksumAreNamed() throws {
        let p = file()
        do {
            let f = try HDF5File(path: p, mode: .truncate)
            try f.writeChecksummed([Double(1), 2, 3], shape: [3], to: "params/a")
            try f.write([Double(1)], shape: [1], to: "plain")
            try f.setChecksummedAttribute("cfg", string: "x")
            try f.close()
        }
        do {   // tamper through the API: same shape, other values; and another attribute value
            let f = try HDF5File(path: p, mode: .readWrite)
            let keep = try f.stringAttribute("sha256", at: "params/a")
            try f.write([Double(1), 2, 3.5], shape: [3], to: "params/a")
            try f.setAttribute("sha256", string: keep, at: "params/a")
            try f.setAttribute("cfg", string: "y")
            try f.close()
        }
        let f = try HDF5File(path: p, mode: .readOnly)
        XCTAssertThrowsError(try f.readVerified(Double.self, from: "params/a")) { e in
            guard case let .checksumMismatch(path, object, _, _)? = e as? FileError else { return XCTFail("\(e)") }
            XCTAssertEqual(path, p)
            XCTAssertEqual(object, "params/a")
            XCTAssertTrue("\(e)".contains("params/a is damaged"), "\(e)")
        }
        XCTAssertThrowsError(try f.readVerified(Double.self, from: "plain")) { e in
            XCTAssertEqual(e as? HDF5Error, .missingChecksum(file: p, path: "plain"))
        }
        XCTAssertThrowsError(try f.readVerified(Double.self, from: "absent")) { e in
            XCTAssertEqual(e as? HDF5Error, .notFound(file: p, path: "absent"))
        }
        XCTAssertThrowsError(try f.verifiedStringAttribute("cfg")) { e in
            XCTAssertTrue("\(e)".contains("attribute /@cfg is damaged"), "\(e)")
        }
    }

    /// A sealed file is verified before libhdf5 parses it: a flipped byte in a dataset's values names the dataset,
    /// one in the metadata says so, and a truncated file is refused by size.
    func testSealNamesDamage() throws {
        let p = file()
        let values = (0..<64).map { Double($0) * 0.25 + 1000 }
        try HDF5File.write(to: p) { f in
            try f.writeChecksummed(values, shape: [8, 8], to: "group/weights")
            try f.writeChecksummed([Int32(7)], shape: [1], to: "other")
        }
        XCTAssertEqual(try HDF5File.openSealed(p).sealStatus, .verified)
        XCTAssertEqual(try HDF5File.openSealed(p).read(Double.self, from: "group/weights").values, values)
        let good = [UInt8](try Data(contentsOf: URL(fileURLWithPath: p)))
        XCTAssertEqual(Array(good[0..<18]), Array("VIGIL-HDF5-SEAL 1\n".utf8))
        // The extent recorded for the dataset is where its bytes are.
        let needle = withUnsafeBytes(of: values[3].bitPattern.littleEndian) { Array($0) }
        let at = try XCTUnwrap((0...(good.count - 8)).first { Array(good[$0..<($0 + 8)]) == needle })
        var bad = good
        bad[at + 2] ^= 0x10
        try Data(bad).write(to: URL(fileURLWithPath: p))
        XCTAssertThrowsError(try HDF5File.openSealed(p)) { e in
            guard case let .checksumMismatch(_, object, _, _)? = e as? FileError else { return XCTFail("\(e)") }
            XCTAssertEqual(object, "/group/weights")
        }
        bad = good
        bad[512 + 20] ^= 0x01   // the superblock (it follows the 512-byte user block), not a dataset's values
        try Data(bad).write(to: URL(fileURLWithPath: p))
        XCTAssertThrowsError(try HDF5File(path: p, mode: .readOnly)) { e in
            XCTAssertTrue("\(e)".contains("its HDF5 metadata (structure, attributes or names) is damaged"), "\(e)")
        }
        try Data(good.dropLast(100)).write(to: URL(fileURLWithPath: p))
        XCTAssertThrowsError(try HDF5File.openSealed(p)) { e in
            XCTAssertTrue("\(e)".contains("its size differs from the size it was sealed with"), "\(e)")
        }
    }

    func testFailedCallCarriesHDF5Message() throws {
        let f = try HDF5File(path: file(), mode: .truncate)
        try f.write([Float(1)], shape: [1], to: "leaf")
        XCTAssertThrowsError(try f.write([Float(1)], shape: [1], to: "leaf/child")) { e in
            guard case let .operationFailed(_, path, _, reason)? = e as? HDF5Error else { return XCTFail("\(e)") }
            XCTAssertTrue(path.hasSuffix("leaf/child"), path)
            XCTAssertFalse(reason.isEmpty)
            XCTAssertNotEqual(reason, "HDF5 gave no reason", "the error stack was read")
        }
        // The stack was cleared: the next failure reports only its own messages.
        XCTAssertThrowsError(try HDF5File(path: file("none/x.h5"), mode: .readOnly)) { e in
            guard case let .cannotOpen(_, _, reason)? = e as? HDF5Error else { return XCTFail("\(e)") }
            XCTAssertFalse(reason.contains("leaf"), reason)
        }
        try f.close()
    }

    func testAtomicWriteLeavesNothingOnFailure() throws {
        struct Stop: Error {}
        try HDF5File.write(to: file()) { try $0.write([Float(1)], shape: [1], to: "old") }
        XCTAssertThrowsError(try HDF5File.write(to: file()) { f in
            try f.write([Float(2)], shape: [1], to: "new")
            throw Stop()
        })
        let names = try FileManager.default.contentsOfDirectory(atPath: dir)
        XCTAssertEqual(names, ["t.h5"], "the temporary file was removed")
        XCTAssertEqual(try HDF5File(path: file(), mode: .readOnly).datasetNames(), ["old"])
    }

    /// A dataspace claiming 2^62 × 4 elements (written by patching the dimension bytes of a real file) is refused
    /// before any allocation.
    func testHugeHeaderShapeIsRefusedBeforeAllocation() throws {
        let p = file()
        do {   // unsealed, so libhdf5 parses the patched header (a sealed file is refused before: testSealNamesDamage)
            let f = try HDF5File(path: p, mode: .truncate)
            try f.write([Double](repeating: 0, count: 6), shape: [3, 2], to: "x")
            try f.close()
        }
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: p)))
        // The dataspace message stores dims as 8-byte little-endian values 3 then 2 (then the max dims).
        let pattern: [UInt8] = [3, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0]
        guard let at = (0...(bytes.count - pattern.count)).first(where: { Array(bytes[$0..<($0 + pattern.count)]) == pattern }) else {
            return XCTFail("dataspace dims not found")
        }
        bytes[at + 7] = 0x40   // 3 → 3 + 2^62
        try Data(bytes).write(to: URL(fileURLWithPath: p))
        let f = try HDF5File(path: p, mode: .readOnly)
        XCTAssertThrowsError(try f.read(Double.self, from: "x")) { e in
            XCTAssertTrue(e is FileError || e is HDF5Error, "\(e)")
            XCTAssertTrue("\(e)".contains("x"), "\(e)")
        }
    }
}
