import Foundation
import XCTest
@testable import VigilData

final class MatrixFileTests: XCTestCase {
    private func temp(_ name: String, _ bytes: [UInt8]) throws -> String {
        let dir = NSTemporaryDirectory() + "vigil-mf-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let path = dir + "/" + name
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    func testCommaWhitespaceGzipAndNpyGiveTheSameMatrix() throws {
        let expected = DataMatrix(rows: 2, cols: 3, values: [1, 2.5, -3, 4, 5, 6e-3])
        let comma = try temp("a.txt", Array("1,2.5,-3\n4,5,6e-3\n".utf8))
        let spaces = try temp("b.txt", Array("  1\t 2.5  -3\n4 5\t6e-3  \n".utf8))
        let gz = try temp("c.txt.gz", ByteSource.gzip(Array("1,2.5,-3\n4,5,6e-3\n".utf8)))
        let npy = try temp("d.npy", NpyWriter.float64Bytes(expected.values, shape: [2, 3]))
        for p in [comma, spaces, gz, npy] { XCTAssertEqual(try MatrixFile.read(p), expected, p) }
    }

    func testRaggedRowNamesFileLineAndColumn() throws {
        let p = try temp("r.txt", Array("1 2 3\n4 5\n".utf8))
        XCTAssertThrowsError(try MatrixFile.read(p)) { e in
            XCTAssertEqual(String(describing: e).contains("line 2"), true, "\(e)")
            XCTAssertEqual(String(describing: e).contains("expected 3 columns, found 2"), true, "\(e)")
        }
        XCTAssertThrowsError(try MatrixFile.read(p + ".missing"))
    }
}
