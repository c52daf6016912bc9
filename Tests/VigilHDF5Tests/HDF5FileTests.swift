import XCTest
@testable import VigilHDF5

final class HDF5FileTests: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-hdf5-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: dir)
    }

    func file(_ name: String = "t.h5") -> String { dir.appendingPathComponent(name).path }

    func testRoundTripEachScalarType() throws {
        let p = file()
        do {
            let f = try HDF5File(path: p, mode: .truncate)
            try f.write([Float(1.5), -2.25, 3e-7, .greatestFiniteMagnitude, 0, 6], shape: [2, 3], to: "f32")
            try f.write([Double.pi, -1e300, 0.1], shape: [3], to: "f64")
            try f.write([Int32.min, -1, 0, Int32.max], shape: [2, 2], to: "i32")
            try f.write([Int64.min, 42, Int64.max], shape: [3], to: "i64")
            try f.write([UInt8(0), 1, 255, 7], shape: [4, 1], to: "u8")
            try f.write([Double(7.25)], shape: [], to: "scalar")
            try f.write([Float](), shape: [0, 38], to: "empty")
        }
        let f = try HDF5File(path: p, mode: .readOnly)
        let a = try f.read(Float.self, from: "f32")
        XCTAssertEqual(a.values, [1.5, -2.25, 3e-7, .greatestFiniteMagnitude, 0, 6])
        XCTAssertEqual(a.shape, [2, 3])
        let b = try f.read(Double.self, from: "f64")
        XCTAssertEqual(b.values, [Double.pi, -1e300, 0.1])
        XCTAssertEqual(b.shape, [3])
        let c = try f.read(Int32.self, from: "i32")
        XCTAssertEqual(c.values, [Int32.min, -1, 0, Int32.max])
        XCTAssertEqual(c.shape, [2, 2])
        let d = try f.read(Int64.self, from: "i64")
        XCTAssertEqual(d.values, [Int64.min, 42, Int64.max])
        let e = try f.read(UInt8.self, from: "u8")
        XCTAssertEqual(e.values, [0, 1, 255, 7])
        XCTAssertEqual(e.shape, [4, 1])
        let s = try f.read(Double.self, from: "scalar")
        XCTAssertEqual(s.values, [7.25])
        XCTAssertEqual(s.shape, [])
        let z = try f.read(Float.self, from: "empty")
        XCTAssertEqual(z.values, [])
        XCTAssertEqual(z.shape, [0, 38])
        XCTAssertEqual(try f.shape(of: "f32"), [2, 3])
    }

    func testReadConvertsStoredType() throws {
        let f = try HDF5File(path: file(), mode: .truncate)
        try f.write([Double(1.5), 2.5, -3], shape: [3], to: "d")
        XCTAssertEqual(try f.read(Float.self, from: "d").values, [1.5, 2.5, -3])
        try f.write([UInt8(1), 0, 1], shape: [3], to: "u")
        XCTAssertEqual(try f.read(Double.self, from: "u").values, [1, 0, 1])
        XCTAssertEqual(try f.read(Int64.self, from: "u").values, [1, 0, 1])
    }

    func testGroupsFromDottedAndSlashedNames() throws {
        let f = try HDF5File(path: file(), mode: .truncate)
        try f.write([Float(1), 2], shape: [2], to: "transformer_encoder.layers.0/linear1.weight")
        try f.write([Float(3)], shape: [1], to: "/transformer_encoder.layers.0/linear1.bias")
        try f.write([Float(4)], shape: [1], to: "a/b/c/d")
        try f.write([Float(5)], shape: [1], to: "top.level")
        XCTAssertTrue(f.contains("transformer_encoder.layers.0"))
        XCTAssertTrue(f.contains("transformer_encoder.layers.0/linear1.weight"))
        XCTAssertTrue(f.contains("/a/b/c"))
        XCTAssertTrue(f.contains("/"))
        XCTAssertFalse(f.contains("a/x/c"))
        XCTAssertFalse(f.contains("transformer_encoder"))
        XCTAssertEqual(try f.datasetNames(), [
            "a/b/c/d", "top.level",
            "transformer_encoder.layers.0/linear1.bias", "transformer_encoder.layers.0/linear1.weight",
        ])
        XCTAssertEqual(try f.datasetNames(in: "a/b"), ["c/d"])
        XCTAssertEqual(try f.groupNames(), ["a", "transformer_encoder.layers.0"])
        XCTAssertEqual(try f.read(Float.self, from: "transformer_encoder.layers.0/linear1.weight").values, [1, 2])
        XCTAssertThrowsError(try f.datasetNames(in: "top.level")) { err in
            XCTAssertEqual(err as? HDF5Error, .wrongKind(file: f.path, path: "top.level", expected: "group"))
        }
    }

    func testAttributes() throws {
        let p = file()
        do {
            let f = try HDF5File(path: p, mode: .truncate)
            try f.write([Int32(1)], shape: [1], to: "g/x")
            try f.write([Float(1), 2, 3, 4, 5, 6], shape: [2, 3], to: "layers.0/linear1.weight")
            try f.write([UInt8(0), 1], shape: [2], to: "labels")
            try f.setAttribute("sha256", string: "abc123", at: "/")
            try f.setAttribute("unicode", string: "Δt ≥ 0 — ok", at: "g")
            try f.setAttribute("epsilon", double: 1e-4, at: "g/x")
            try f.setAttribute("rows", int: 28479, at: "g/x")
            try f.setAttribute("rows", int: -5)  // default at "/"
            try f.setAttribute("sha256", string: "replaced")  // overwrite
            try f.setFixedLengthStringAttribute("fixed", string: "hello", at: "g")
        }
        if let keep = ProcessInfo.processInfo.environment["VIGIL_HDF5_KEEP"] {  // manual h5py check
            try? FileManager.default.removeItem(atPath: keep)
            try FileManager.default.copyItem(atPath: p, toPath: keep)
        }
        let f = try HDF5File(path: p, mode: .readOnly)
        XCTAssertEqual(try f.stringAttribute("sha256"), "replaced")
        XCTAssertEqual(try f.stringAttribute("unicode", at: "g"), "Δt ≥ 0 — ok")
        XCTAssertEqual(try f.stringAttribute("fixed", at: "g"), "hello")
        XCTAssertEqual(try f.doubleAttribute("epsilon", at: "g/x"), 1e-4)
        XCTAssertEqual(try f.intAttribute("rows", at: "g/x"), 28479)
        XCTAssertEqual(try f.intAttribute("rows"), -5)
        XCTAssertEqual(try f.doubleAttribute("rows"), -5)  // int read as double converts
        XCTAssertTrue(f.hasAttribute("epsilon", at: "g/x"))
        XCTAssertFalse(f.hasAttribute("epsilon"))
        XCTAssertThrowsError(try f.doubleAttribute("sha256")) { err in
            XCTAssertEqual(err as? HDF5Error, .typeMismatch(file: p, path: "/@sha256", expected: "double"))
        }
        XCTAssertThrowsError(try f.stringAttribute("missing", at: "g")) { err in
            XCTAssertEqual(err as? HDF5Error, .notFound(file: p, path: "g@missing"))
        }
        XCTAssertThrowsError(try f.setAttribute("x", int: 1)) { err in
            XCTAssertEqual(err as? HDF5Error, .notWritable(file: p))
        }
    }

    func testOverwriteReplacesDatasetWithNewShapeAndType() throws {
        let p = file()
        do {
            let f = try HDF5File(path: p, mode: .truncate)
            try f.write([Float](repeating: 1, count: 12), shape: [3, 4], to: "w")
            try f.write([Double(9), 8], shape: [2], to: "w")
        }
        do {
            let f = try HDF5File(path: p, mode: .readWrite)
            XCTAssertEqual(try f.read(Double.self, from: "w").values, [9, 8])
            try f.write([Int64(5)], shape: [1], to: "w")
        }
        let f = try HDF5File(path: p, mode: .readOnly)
        let r = try f.read(Int64.self, from: "w")
        XCTAssertEqual(r.values, [5])
        XCTAssertEqual(r.shape, [1])
        XCTAssertEqual(try f.datasetNames(), ["w"])
    }

    func testTruncateReplacesWholeFile() throws {
        let p = file()
        do { try HDF5File(path: p, mode: .truncate).write([Float(1)], shape: [1], to: "old") }
        do { try HDF5File(path: p, mode: .truncate).write([Float(2)], shape: [1], to: "new") }
        XCTAssertEqual(try HDF5File(path: p, mode: .readOnly).datasetNames(), ["new"])
    }

    func testMissingDatasetIsTypedErrorNamingFileAndPath() throws {
        let p = file()
        do { try HDF5File(path: p, mode: .truncate).write([Float(1)], shape: [1], to: "present") }
        let f = try HDF5File(path: p, mode: .readOnly)
        XCTAssertThrowsError(try f.read(Float.self, from: "layers.3/weight")) { err in
            guard let e = err as? HDF5Error else { return XCTFail("not an HDF5Error: \(err)") }
            XCTAssertEqual(e, .notFound(file: p, path: "layers.3/weight"))
            XCTAssertTrue(e.description.contains(p))
            XCTAssertTrue(e.description.contains("layers.3/weight"))
        }
        XCTAssertThrowsError(try f.read(Float.self, from: "/")) { err in
            XCTAssertEqual(err as? HDF5Error, .notFound(file: p, path: "/"))
        }
    }

    func testOpenErrorsAndShapeMismatch() throws {
        let missing = file("nope.h5")
        XCTAssertThrowsError(try HDF5File(path: missing, mode: .readOnly)) { err in
            guard case let .cannotOpen(file, mode, reason)? = err as? HDF5Error else { return XCTFail("\(err)") }
            XCTAssertEqual(file, missing)
            XCTAssertEqual(mode, "readOnly")
            XCTAssertTrue(reason.contains("No such file or directory"), "HDF5's own message is kept: \(reason)")
        }
        let notH5 = file("text.h5")
        try "hello".write(toFile: notH5, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try HDF5File(path: notH5, mode: .readOnly))
        let f = try HDF5File(path: file(), mode: .truncate)
        XCTAssertThrowsError(try f.write([Float(1), 2, 3], shape: [2, 2], to: "x")) { err in
            XCTAssertEqual(err as? HDF5Error, .shapeMismatch(file: f.path, path: "x", shape: [2, 2], count: 3))
        }
        try f.write([Float(1)], shape: [1], to: "leaf")
        XCTAssertThrowsError(try f.write([Float(1)], shape: [1], to: "leaf/child"))
        try f.close()
        try f.close()   // closing twice is allowed
        XCTAssertThrowsError(try f.read(Float.self, from: "leaf")) { err in
            XCTAssertEqual(err as? HDF5Error, .closed(file: f.path))
        }
    }

    func testReadWriteModeCreatesMissingFile() throws {
        let p = file("new.h5")
        do { try HDF5File(path: p, mode: .readWrite).write([Int32(3)], shape: [1], to: "x") }
        XCTAssertEqual(try HDF5File(path: p, mode: .readOnly).read(Int32.self, from: "x").values, [3])
    }
}
