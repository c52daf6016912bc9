import XCTest
@testable import VigilData

/// Builds .npy bytes (format 1.0) for tests.
func npyBytes(descr: String, shape: [Int], payload: [UInt8], fortran: Bool = false) -> [UInt8] {
    let shapeText = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
    var header = "{'descr': '\(descr)', 'fortran_order': \(fortran ? "True" : "False"), 'shape': \(shapeText), }"
    while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
    header += "\n"
    let len = header.utf8.count
    return [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(len & 0xff), UInt8(len >> 8)] + Array(header.utf8) + payload
}

func littleEndianBytes<T: FixedWidthInteger>(_ values: [T]) -> [UInt8] {
    values.flatMap { v in withUnsafeBytes(of: v.littleEndian) { Array($0) } }
}

final class GenericLoaderTests: XCTestCase {
    func testCSVDirectoryWithHeaderAndPerDimensionLabels() throws {
        let dir = try TempDir()
        try dir.write("mydata/train.csv", "cpu,mem\n0,10\n2,30\n4,20\n")
        try dir.write("mydata/test.csv", "cpu,mem\n1,10\n8,40\n")
        try dir.write("mydata/labels.csv", "0,0\n1,0\n")
        let ds = try GenericDatasetLoader.load(directory: dir.sub("mydata"))
        XCTAssertEqual(ds.name, "mydata")
        XCTAssertEqual(ds.normMin, [0, 10])
        XCTAssertEqual(ds.normMax, [4, 30])
        let r0: Double = 4 + 1e-4, r1: Double = 20 + 1e-4
        XCTAssertEqual(ds.train.values, [0, 0, 2 / r0, 20 / r1, 4 / r0, 10 / r1])
        XCTAssertEqual(ds.test.values, [1 / r0, 0, 8 / r0, 30 / r1])
        XCTAssertEqual(ds.labels, [0, 1])
        XCTAssertEqual(ds.interpretationLabels, [0, 0, 1, 0])
        XCTAssertEqual(Set(ds.sourceSHA256.keys), ["train", "test", "labels"])
    }

    func testNpyDirectory() throws {
        let dir = try TempDir()
        let train: [Float] = [0, 1, 0.5, 3]
        try dir.write("d/train.npy", npyBytes(descr: "<f4", shape: [2, 2], payload: littleEndianBytes(train.map(\.bitPattern))))
        let test: [Double] = [0.25, 2, 1, 1, 0, 0]
        try dir.write("d/test.npy", npyBytes(descr: "<f8", shape: [3, 2], payload: littleEndianBytes(test.map(\.bitPattern))))
        try dir.write("d/labels.npy", npyBytes(descr: "<i8", shape: [3], payload: littleEndianBytes([Int64(0), 1, 0])))
        let ds = try GenericDatasetLoader.load(directory: dir.sub("d"))
        XCTAssertEqual(ds.labels, [0, 1, 0])
        XCTAssertNil(ds.interpretationLabels)
        XCTAssertEqual(ds.normMin, [0, 1])
        XCTAssertEqual(ds.normMax, [0.5, 3])
        XCTAssertEqual(ds.test[0, 0], 0.25 / (0.5 + 1e-4))
    }

    func testNpyDtypesAndErrors() throws {
        XCTAssertEqual(try NpyReader.parse(npyBytes(descr: "|u1", shape: [3], payload: [0, 1, 255]), file: "x").values, [0, 1, 255])
        XCTAssertEqual(try NpyReader.parse(npyBytes(descr: "<i4", shape: [1, 2], payload: littleEndianBytes([Int32(-7), 9])), file: "x").values, [-7, 9])
        XCTAssertThrowsDataError(try NpyReader.parse(npyBytes(descr: "<f8", shape: [2], payload: littleEndianBytes([UInt64(0)]) ), file: "x")) { e in
            XCTAssertEqual(e, .badNpy(file: "x", reason: "header shape (2,) of <f8 needs 16 bytes of data but the file holds 8 bytes; the file is damaged or not a complete .npy file"))
        }
        // A 129-byte file whose header claims (2^62, 4): checked arithmetic, no overflow trap, no allocation.
        XCTAssertThrowsDataError(try NpyReader.parse(npyBytes(descr: "<f8", shape: [4_611_686_018_427_387_904, 4], payload: [0]), file: "x")) { e in
            XCTAssertEqual(e, .badNpy(file: "x", reason: "header shape (4611686018427387904, 4) of <f8 needs more data than any file can hold but the file holds 1 bytes; the file is damaged or not a complete .npy file"))
        }
        XCTAssertThrowsDataError(try NpyReader.parse(npyBytes(descr: "<f8", shape: [300, 0], payload: []), file: "x")) { e in
            XCTAssertEqual(e, .badNpy(file: "x", reason: "shape (300, 0) has no columns; give at least one column"))
        }
        XCTAssertThrowsDataError(try NpyReader.parse(npyBytes(descr: ">f8", shape: [1], payload: [UInt8](repeating: 0, count: 8)), file: "x")) { e in
            guard case .badNpy(_, let reason) = e else { return XCTFail("\(e)") }
            XCTAssertTrue(reason.contains("unsupported dtype '>f8'"))
        }
        XCTAssertThrowsDataError(try NpyReader.parse(npyBytes(descr: "<f4", shape: [1, 1], payload: [0, 0, 0, 0], fortran: true), file: "x")) { e in
            guard case .badNpy(_, let reason) = e else { return XCTFail("\(e)") }
            XCTAssertTrue(reason.contains("Fortran"))
        }
        let nan = littleEndianBytes([Double.nan.bitPattern, 1.0.bitPattern])
        XCTAssertThrowsDataError(try NpyReader.parse(npyBytes(descr: "<f8", shape: [1, 2], payload: nan), file: "x")) { e in
            XCTAssertEqual(e, .parse(file: "x", line: 1, column: 1, reason: "non-finite value (NaN and Inf are not allowed)"))
        }
        XCTAssertThrowsDataError(try NpyReader.parse(Array("hello world!".utf8), file: "x")) { e in
            XCTAssertEqual(e, .badNpy(file: "x", reason: "not an .npy file (bad magic)"))
        }
    }

    func testGenericErrors() throws {
        let dir = try TempDir()
        try dir.write("d/train.csv", "1,2\n3,4\n")
        try dir.write("d/test.csv", "1,2\n3,4\n5,6\n")
        XCTAssertThrowsDataError(try GenericDatasetLoader.load(directory: dir.sub("d"))) { e in
            XCTAssertEqual(e, .missingDatasetFile(directory: dir.sub("d"), name: "labels"))
        }
        let labels = try dir.write("d/labels.csv", "0\n1\n")
        XCTAssertThrowsDataError(try GenericDatasetLoader.load(directory: dir.sub("d"))) { e in
            XCTAssertEqual(e, .labelLengthMismatch(file: labels, labels: 2, testRows: 3))
        }
        try dir.write("d/labels.csv", "0\n1\n0.5\n")
        XCTAssertThrowsDataError(try GenericDatasetLoader.load(directory: dir.sub("d"))) { e in
            XCTAssertEqual(e, .parse(file: labels, line: 3, column: 1, reason: "label 0.5 is not 0 or 1"))
        }
        try dir.write("d/labels.csv", "0\n1\n0\n")
        let test = try dir.write("d/test.csv", "1,2,3\n")
        XCTAssertThrowsDataError(try GenericDatasetLoader.load(directory: dir.sub("d"))) { e in
            XCTAssertEqual(e, .columnMismatch(file: test, expected: 2, found: 3))
        }
    }
}
