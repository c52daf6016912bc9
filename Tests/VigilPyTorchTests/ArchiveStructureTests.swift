@testable import VigilPyTorch
import XCTest

/// The archive's bytes checked field by field against APPNOTE.TXT and PyTorch's layout, by a walker written
/// here independently of the module's reader, with a bitwise CRC-32.
final class ArchiveStructureTests: XCTestCase {
    func u16(_ b: [UInt8], _ i: Int) -> Int { Int(b[i]) | Int(b[i + 1]) << 8 }
    func u32(_ b: [UInt8], _ i: Int) -> Int { u16(b, i) | u16(b, i + 2) << 16 }

    func centralDirectory(_ b: [UInt8]) -> [(name: String, flags: Int, crc: UInt32, size: Int, offset: Int)] {
        let eocd = b.count - 22
        XCTAssertEqual(u32(b, eocd), 0x0605_4B50, "end record at the very end, no comment")
        let count = u16(b, eocd + 10), cdSize = u32(b, eocd + 12), cdOffset = u32(b, eocd + 16)
        XCTAssertEqual(u16(b, eocd + 8), count)
        XCTAssertEqual(cdOffset + cdSize, eocd, "no ZIP64 records between the directory and the end record")
        var p = cdOffset
        var out: [(String, Int, UInt32, Int, Int)] = []
        for _ in 0..<count {
            XCTAssertEqual(u32(b, p), 0x0201_4B50)
            XCTAssertEqual(u16(b, p + 10), 0, "stored")
            XCTAssertEqual(u32(b, p + 20), u32(b, p + 24), "compressed size = size")
            let nlen = u16(b, p + 28)
            XCTAssertEqual(u16(b, p + 30) + u16(b, p + 32), 0, "no extra field or comment in the directory")
            out.append((String(decoding: b[(p + 46)..<(p + 46 + nlen)], as: UTF8.self), u16(b, p + 8),
                        UInt32(u32(b, p + 16)), u32(b, p + 24), u32(b, p + 42)))
            p += 46 + nlen
        }
        XCTAssertEqual(p, cdOffset + cdSize)
        return out
    }

    func testRecordNamesOrderAlignmentAndChecksums() throws {
        let sd: [(key: String, tensor: TorchTensor)] = [
            ("pos_encoder.pe", try TorchTensor(float32: (0..<40).map(Float.init), shape: [10, 1, 4])),
            ("fcn.0.bias", try TorchTensor(float64: [1, 2, 3], shape: [3])),
            ("empty", try TorchTensor(dtype: .float32, shape: [0], bytes: [])),
        ]
        let b = try TorchCheckpointWriter.serialize(.trainingCheckpoint(stateDict: sd, epoch: 4), archiveName: "model")
        let cd = centralDirectory(b)
        XCTAssertEqual(cd.map(\.name), ["model/data.pkl", "model/.format_version", "model/.storage_alignment", "model/byteorder",
                                        "model/data/0", "model/data/1", "model/data/2", "model/version",
                                        "model/.data/serialization_id"])
        var expectedOffset = 0
        for e in cd {
            // Local header at the directory's offset, data 64-byte aligned, CRC and descriptor consistent.
            XCTAssertEqual(e.offset, expectedOffset, "entries are contiguous, in directory order: \(e.name)")
            XCTAssertEqual(u32(b, e.offset), 0x0403_4B50)
            let nlen = u16(b, e.offset + 26), elen = u16(b, e.offset + 28)
            XCTAssertEqual(String(decoding: b[(e.offset + 30)..<(e.offset + 30 + nlen)], as: UTF8.self), e.name)
            let data = e.offset + 30 + nlen + elen
            XCTAssertEqual(data % 64, 0, "\(e.name) data at \(data) is 64-byte aligned")
            XCTAssertEqual(Array(b[(e.offset + 30 + nlen)..<(e.offset + 32 + nlen)]), Array("FB".utf8))
            let payload = b[data..<(data + e.size)]
            XCTAssertEqual(referenceCRC32(payload), e.crc, e.name)
            XCTAssertEqual(u16(b, e.offset + 6), e.flags)
            if e.size > 0 {
                XCTAssertEqual(e.flags, 0x0808, e.name)
                let d = data + e.size
                XCTAssertEqual(u32(b, d), 0x0807_4B50, "data descriptor after \(e.name)")
                XCTAssertEqual(UInt32(u32(b, d + 4)), e.crc)
                XCTAssertEqual(u32(b, d + 8), e.size); XCTAssertEqual(u32(b, d + 12), e.size)
                expectedOffset = d + 16
            } else {
                XCTAssertEqual(e.flags, 0x0800, "an empty record has no descriptor: \(e.name)")
                expectedOffset = data
            }
        }
        func record(_ n: String) -> [UInt8] {
            let e = cd.first { $0.name == "model/" + n }!
            let data = e.offset + 30 + u16(b, e.offset + 26) + u16(b, e.offset + 28)
            return Array(b[data..<(data + e.size)])
        }
        XCTAssertEqual(record(".format_version"), Array("1".utf8))
        XCTAssertEqual(record(".storage_alignment"), Array("64".utf8))
        XCTAssertEqual(record("byteorder"), Array("little".utf8))
        XCTAssertEqual(record("version"), Array("3\n".utf8))
        XCTAssertEqual(record("data/0"), sd[0].tensor.bytes)
        XCTAssertEqual(record("data/1"), sd[1].tensor.bytes)
        // Serialization id: 40 digits; the last 20 are torch's hash_combine of the non-empty records' CRCs.
        let id = record(".data/serialization_id")
        XCTAssertEqual(id.count, 40)
        var s: UInt64 = 0
        for e in cd.dropLast() where e.size > 0 { s = s ^ (UInt64(e.crc) &+ 0x9E37_79B9 &+ (s << 6) &+ (s >> 2)) }
        XCTAssertEqual(String(decoding: id.suffix(20), as: UTF8.self), String(format: "%020llu", s))
    }

    /// The ZIP64 threshold, tested with a lowered limit (a real 4 GiB state dict is too big for a test).
    func testArchivesThatWouldNeedZIP64AreRefusedBeforeWriting() throws {
        let t = try TorchTensor(dtype: .uint8, shape: [1000], bytes: Array(repeating: 7, count: 1000))
        let v = PickleValue.trainingCheckpoint(stateDict: [("a", t), ("b", t)], epoch: 1)
        XCTAssertNoThrow(try ZipPlan(object: v, archiveName: "a", limit: 4000))
        XCTAssertThrowsError(try ZipPlan(object: v, archiveName: "a", limit: 999)) {     // one record ≥ limit
            guard case .archiveTooLarge = $0 as? TorchCheckpointError else { return XCTFail("\($0)") }
        }
        XCTAssertThrowsError(try ZipPlan(object: v, archiveName: "a", limit: 1500)) {    // offsets pass the limit
            guard case .archiveTooLarge = $0 as? TorchCheckpointError else { return XCTFail("\($0)") }
        }
        let plan = try ZipPlan(object: v, archiveName: "a", limit: TorchCheckpointWriter.zip32Limit)
        XCTAssertEqual(plan.totalSize, try TorchCheckpointWriter.serialize(v, archiveName: "a").count)
        // More than 65534 records cannot be described without ZIP64 either; nothing is written.
        let tiny = try TorchTensor(dtype: .uint8, shape: [0], bytes: [])
        let huge = PickleValue.orderedDict((0..<65530).map { ("t\($0)", .tensor(tiny)) })
        var wrote = 0
        XCTAssertThrowsError(try TorchCheckpointWriter.write(huge) { wrote += $0.count }) {
            guard case .archiveTooLarge = $0 as? TorchCheckpointError else { return XCTFail("\($0)") }
        }
        XCTAssertEqual(wrote, 0)
    }
}
