import XCTest
@testable import VigilData

final class ParserTests: XCTestCase {
    private func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }

    func testParsesTableWithCRLFAndTrailingBlankLines() throws {
        let m = try TextParsers.parseNumericTable(bytes("1,2.5,-3e-2\r\n0.000001, 4 ,5\n\n\n"), file: "t.txt", expectedColumns: 3)
        XCTAssertEqual(m.rows, 2)
        XCTAssertEqual(m.cols, 3)
        XCTAssertEqual(m.values, [1, 2.5, -0.03, 0.000001, 4, 5])
    }

    func testRaggedRowNamesFileLineColumn() {
        let text = "1,2,3\n4,5,6\n7,8\n"
        XCTAssertThrowsDataError(try TextParsers.parseNumericTable(self.bytes(text), file: "test/machine-2-1.txt", expectedColumns: 3)) { e in
            XCTAssertEqual(e, .parse(file: "test/machine-2-1.txt", line: 3, column: 3, reason: "expected 3 columns, found 2"))
            XCTAssertEqual(e.description, "test/machine-2-1.txt line 3 column 3: expected 3 columns, found 2")
        }
        XCTAssertThrowsDataError(try TextParsers.parseNumericTable(self.bytes("1,2\n3,4,5\n"), file: "f", expectedColumns: nil)) { e in
            XCTAssertEqual(e, .parse(file: "f", line: 2, column: 3, reason: "expected 2 columns, found 3"))
        }
        XCTAssertThrowsDataError(try TextParsers.parseNumericTable(self.bytes("1,2,3,4\n"), file: "f", expectedColumns: 3)) { e in
            XCTAssertEqual(e, .parse(file: "f", line: 1, column: 4, reason: "expected 3 columns, found 4"))
        }
    }

    func testNonNumericAndEmptyCells() {
        XCTAssertThrowsDataError(try TextParsers.parseNumericTable(self.bytes("1,2,3\n4,abc,6\n"), file: "f", expectedColumns: 3)) { e in
            XCTAssertEqual(e, .parse(file: "f", line: 2, column: 2, reason: "'abc' is not a number"))
        }
        XCTAssertThrowsDataError(try TextParsers.parseNumericTable(self.bytes("1,,3\n"), file: "f", expectedColumns: 3)) { e in
            XCTAssertEqual(e, .parse(file: "f", line: 1, column: 2, reason: "empty cell"))
        }
        XCTAssertThrowsDataError(try TextParsers.parseNumericTable(self.bytes("1,2,3-\n"), file: "f", expectedColumns: 3)) { e in
            XCTAssertEqual(e, .parse(file: "f", line: 1, column: 3, reason: "'3-' is not a number"))
        }
        XCTAssertThrowsDataError(try TextParsers.parseNumericTable(self.bytes("1,2,3\n\n4,5,6\n"), file: "f", expectedColumns: 3)) { e in
            XCTAssertEqual(e, .parse(file: "f", line: 2, column: 1, reason: "empty line inside the data"))
        }
    }

    func testNaNAndInfRejected() {
        for (cell, col) in [("nan", 1), ("NaN", 1), ("-inf", 2), ("Infinity", 2), ("1e999", 2)] {
            let text = col == 1 ? "\(cell),1\n" : "0,\(cell)\n"
            XCTAssertThrowsDataError(try TextParsers.parseNumericTable(self.bytes(text), file: "f", expectedColumns: 2)) { e in
                XCTAssertEqual(e, .parse(file: "f", line: 1, column: col, reason: "non-finite value '\(cell)' (NaN and Inf are not allowed)"))
            }
        }
    }

    func testEmptyFile() {
        for text in ["", "\n\n", "   \n"] {
            XCTAssertThrowsDataError(try TextParsers.parseNumericTable(self.bytes(text), file: "train/x.txt", expectedColumns: 38)) { e in
                XCTAssertEqual(e, .emptyFile(file: "train/x.txt"))
            }
        }
    }

    func testHeaderOnlyWhenAllowed() throws {
        let m = try TextParsers.parseNumericTable(bytes("a,b\n1,2\n"), file: "f", allowHeader: true)
        XCTAssertEqual(m.values, [1, 2])
        XCTAssertThrowsError(try TextParsers.parseNumericTable(bytes("a,b\n1,2\n"), file: "f"))
    }

    func testLabels() throws {
        XCTAssertEqual(try TextParsers.parseLabels(bytes("0\n1\n1\n0\n"), file: "l", expectedRows: 4), [0, 1, 1, 0])
        XCTAssertThrowsDataError(try TextParsers.parseLabels(self.bytes("0\n1\n"), file: "test_label/m.txt", expectedRows: 3)) { e in
            XCTAssertEqual(e, .labelLengthMismatch(file: "test_label/m.txt", labels: 2, testRows: 3))
        }
        XCTAssertThrowsDataError(try TextParsers.parseLabels(self.bytes("0\n2\n"), file: "l")) { e in
            XCTAssertEqual(e, .parse(file: "l", line: 2, column: 1, reason: "label 2.0 is not 0 or 1"))
        }
        XCTAssertThrowsDataError(try TextParsers.parseLabels(self.bytes("0\n1,0\n"), file: "l")) { e in
            XCTAssertEqual(e, .parse(file: "l", line: 2, column: 2, reason: "expected 1 columns, found 2"))
        }
    }

    /// Hand-made file documenting the convention: rows are 0-based half-open [start, end), dims are 1-based.
    func testInterpretationLabelConvention() throws {
        let text = "1-3:1,4\n5-6:2\n"
        let m = try TextParsers.parseInterpretationLabels(bytes(text), file: "i", rows: 7, dims: 4)
        let expected: [[UInt8]] = [
            [0, 0, 0, 0],  // row 0
            [1, 0, 0, 1],  // row 1 = start of 1-3
            [1, 0, 0, 1],  // row 2
            [0, 0, 0, 0],  // row 3 = end of 1-3, excluded
            [0, 0, 0, 0],
            [0, 1, 0, 0],  // row 5 = 5-6 on dim 2
            [0, 0, 0, 0],
        ]
        XCTAssertEqual(m, expected.flatMap { $0 })
    }

    func testInterpretationLabelErrors() {
        XCTAssertThrowsDataError(try TextParsers.parseInterpretationLabels(self.bytes("1-3:1,39\n"), file: "i", rows: 5)) { e in
            XCTAssertEqual(e, .parse(file: "i", line: 1, column: 7, reason: "'39' is not a dimension in 1…38"))
        }
        XCTAssertThrowsDataError(try TextParsers.parseInterpretationLabels(self.bytes("0-2:1\n3-9:2\n"), file: "i", rows: 5)) { e in
            XCTAssertEqual(e, .parse(file: "i", line: 2, column: 1, reason: "row range 3-9 is empty or outside the 5 test rows"))
        }
        XCTAssertThrowsDataError(try TextParsers.parseInterpretationLabels(self.bytes("12:1\n"), file: "i", rows: 5)) { e in
            XCTAssertEqual(e, .parse(file: "i", line: 1, column: 1, reason: "'12' is not a row range 'start-end'"))
        }
        XCTAssertThrowsDataError(try TextParsers.parseInterpretationLabels(self.bytes("1-2 3\n"), file: "i", rows: 5)) { e in
            XCTAssertEqual(e, .parse(file: "i", line: 1, column: 1, reason: "expected 'start-end:d1,d2,…', no ':' found"))
        }
    }

    func testManifestParsing() throws {
        let sha = String(repeating: "ab", count: 32)
        let m = try Manifest(text: "# comment\n\(sha)  12  train/machine-1-1.txt\n\n", source: "M")
        XCTAssertEqual(m.entries, [ManifestEntry(path: "train/machine-1-1.txt", size: 12, sha256: sha)])
        XCTAssertThrowsDataError(try Manifest(text: "\(sha)  x  a\n", source: "M")) { e in
            XCTAssertEqual(e, .badManifest(file: "M", line: 1, reason: "'x' is not a byte size"))
        }
    }

    func testMachineNames() throws {
        XCTAssertEqual(SMD.allMachines.count, 28)
        XCTAssertEqual(try SMD.resolveMachines("all").count, 28)
        XCTAssertEqual(try SMD.resolveMachines("machine-2-1, machine-3-11,machine-2-1"), ["machine-2-1", "machine-3-11"])
        XCTAssertThrowsDataError(try SMD.resolveMachines("machine-2-1,machine-4-1")) { e in
            XCTAssertEqual(e, .unknownMachine(name: "machine-4-1", valid: SMD.allMachines))
            XCTAssertTrue(e.description.contains("machine-3-11"))
        }
    }

    func testMinMaxNormalizer() {
        let train = DataMatrix(rows: 3, cols: 2, values: [1, 5, 3, 5, 2, 5])
        let n = MinMaxNormalizer(fitting: train)
        XCTAssertEqual(n.min, [1, 5])
        XCTAssertEqual(n.max, [3, 5])
        let out = n.apply(DataMatrix(rows: 2, cols: 2, values: [2, 5, 4, 6]))
        let range0: Double = 2 + 1e-4
        let expected: [Double] = [1 / range0, 0, 3 / range0, 1 / 1e-4]
        XCTAssertEqual(out.values, expected)
    }

    func testGzipRoundTripAndTruncation() throws {
        let dir = try TempDir()
        let payload = Array((0..<300_000).map { UInt8(truncatingIfNeeded: $0 * 31 % 251) })
        let gz = ByteSource.gzip(payload)
        let full = try dir.write("a.txt.gz", gz)
        XCTAssertEqual(try ByteSource.readAll(full), payload)
        let cut = try dir.write("b.txt.gz", Array(gz[0..<(gz.count / 2)]))
        XCTAssertThrowsError(try ByteSource.readAll(cut)) { err in
            XCTAssertEqual(err as? FileReadError, .corruptGzip(path: cut, reason: "the stream ends early (truncated)"))
        }
        let empty = try dir.write("c.txt.gz", [UInt8]())
        XCTAssertThrowsError(try ByteSource.readAll(empty)) { err in
            XCTAssertEqual(err as? FileReadError, .corruptGzip(path: empty, reason: "the file is empty"))
        }
        let garbage = try dir.write("d.txt.gz", Array("not gzip at all".utf8))
        XCTAssertThrowsError(try ByteSource.readAll(garbage))
    }
}
