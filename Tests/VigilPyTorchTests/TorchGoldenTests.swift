@testable import VigilPyTorch
import XCTest

/// Files written by real `torch.save` (PyTorch 2.13, scripts/make_torch_save_goldens.py).
final class TorchGoldenTests: XCTestCase {
    /// The reader parses torch's own output, including views, shared storages and a tied tensor.
    func testReaderParsesTorchSaveOutput() throws {
        let read = try TorchCheckpointReader.read(try goldenBytes("torch_save_state_dict"))
        let want = try goldenValue("torch_save_state_dict")
        XCTAssertEqual(read.archiveName, "torch_save_state_dict")
        XCTAssertEqual(read.object, want)
        XCTAssertEqual(read.recordNames.first, "data.pkl")
        let sd = try read.stateDict()
        XCTAssertEqual(sd.map(\.key), ["pos_encoder.pe", "encoder.weight", "encoder.bias", "decoder.weight", "encoder.row1",
                                       "tied.weight", "steps", "scale", "empty"])
        let w = try sd[1].tensor.float32Values()                       // (4, 3)
        let wt = try sd[3].tensor.float32Values()                      // its transpose, (3, 4)
        XCTAssertEqual(sd[3].tensor.shape, [3, 4])
        for i in 0..<4 { for j in 0..<3 { XCTAssertEqual(wt[j * 4 + i], w[i * 3 + j]) } }
        XCTAssertEqual(try sd[4].tensor.float32Values(), Array(w[3..<6]))
        XCTAssertEqual(sd[5].tensor, sd[1].tensor)
        XCTAssertEqual(try sd[6].tensor.int64Values(), [0, -1, 1 << 40])
        XCTAssertEqual(sd[0].tensor.shape, [6, 1, 4])
        XCTAssertEqual(read.object["epoch"]?.int, 12)
        XCTAssertEqual(read.object["step"]?.int, 1 << 40)
        XCTAssertEqual(read.object["delta"]?.int, -70000)
        XCTAssertEqual(read.object["lr"]?.float, 1e-3)
        XCTAssertEqual(read.object["name"]?.string, "TranAD ✓")
        XCTAssertEqual(read.object["best"]?.bool, true)
        XCTAssertEqual(read.object["note"], PickleValue.none)
    }

    /// Swift's writer reproduces torch.save's file for the same object byte for byte, except the first
    /// 20 digits of the serialization id (torch hashes names with std::hash) — and torch's ZIP64 end
    /// records, which this writer leaves out.
    func testWriterMatchesTorchSaveByteForByte() throws {
        let torchBytes = try goldenBytes("torch_save_writer_twin")
        let value = try goldenValue("torch_save_writer_twin")
        XCTAssertEqual(try TorchCheckpointReader.read(torchBytes).object, value)
        let ours = try TorchCheckpointWriter.serialize(value, archiveName: "torch_save_writer_twin")

        let idName = Array("torch_save_writer_twin/.data/serialization_id".utf8)
        let idHeader = try XCTUnwrap(firstRange(of: [0x50, 0x4B, 0x03, 0x04], before: idName, in: ours))
        let idData = idHeader + 30 + idName.count + Int(ours[idHeader + 28]) + Int(ours[idHeader + 29]) << 8
        XCTAssertEqual(Array(ours[..<idData]), Array(torchBytes[..<idData]), "everything before the serialization id")
        XCTAssertEqual(Array(ours[(idData + 20)..<(idData + 40)]), Array(torchBytes[(idData + 20)..<(idData + 40)]),
                       "the CRC half of the serialization id")

        // Central directories: identical except the id record's CRC.
        let ourDir = try centralDirectoryBytes(ours), torchDir = try centralDirectoryBytes(torchBytes)
        XCTAssertEqual(ourDir.count, torchDir.count)
        let differing = zip(ourDir, torchDir).enumerated().filter { $0.element.0 != $0.element.1 }.map(\.offset)
        let lastEntry = ourDir.count - (46 + idName.count)
        XCTAssertTrue(differing.allSatisfy { $0 >= lastEntry + 16 && $0 < lastEntry + 20 }, "only the id's CRC differs: \(differing)")
        XCTAssertEqual(torchBytes.count - ours.count, 56 + 20, "torch adds a ZIP64 end record (56) and locator (20)")
    }

    private func firstRange(of sig: [UInt8], before name: [UInt8], in b: [UInt8]) -> Int? {
        var i = 0
        while i + 30 + name.count <= b.count {
            if Array(b[i..<(i + 4)]) == sig, Array(b[(i + 30)..<(i + 30 + name.count)]) == name { return i }
            i += 1
        }
        return nil
    }

    private func centralDirectoryBytes(_ b: [UInt8]) throws -> [UInt8] {
        let e = b.count - 22
        let size = Int(b[e + 12]) | Int(b[e + 13]) << 8 | Int(b[e + 14]) << 16 | Int(b[e + 15]) << 24
        let off = Int(b[e + 16]) | Int(b[e + 17]) << 8 | Int(b[e + 18]) << 16 | Int(b[e + 19]) << 24
        return Array(b[off..<(off + size)])
    }
}
