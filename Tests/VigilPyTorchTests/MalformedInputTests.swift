@testable import VigilPyTorch
import XCTest

/// The reader on damaged and hostile input: a typed `TorchCheckpointError`, never a trap, never a wrong value.
final class MalformedInputTests: XCTestCase {
    // MARK: Seeded fuzzing

    /// Random byte flips and truncations of whole checkpoints: each read either fails with a
    /// `TorchCheckpointError` or returns exactly the original object (flips in padding and in fields the
    /// reader ignores). A changed value passing every check would be a bug.
    func testFlippedAndTruncatedCheckpointsGiveTypedErrorsOrIdenticalValues() throws {
        let cases: [(String, [UInt8], PickleValue)] = [
            ("Vigil", try TorchCheckpointWriter.serialize(try sampleCheckpoint()), try sampleCheckpoint()),
            ("torch.save", try goldenBytes("torch_save_state_dict"), try goldenValue("torch_save_state_dict")),
        ]
        for (label, original, value) in cases {
            XCTAssertEqual(try TorchCheckpointReader.read(original).object, value)
            var rng = SplitMix64(seed: 0x5EED_0001)
            var errors = 0, identical = 0
            for trial in 0..<1500 {
                var b = original
                switch trial % 4 {
                case 0: b[Int.random(in: 0..<b.count, using: &rng)] ^= UInt8.random(in: 1...255, using: &rng)
                case 1:
                    for _ in 0..<Int.random(in: 2...6, using: &rng) { b[Int.random(in: 0..<b.count, using: &rng)] ^= UInt8.random(in: 1...255, using: &rng) }
                case 2: b.removeLast(Int.random(in: 1...b.count, using: &rng))
                default:
                    b[Int.random(in: 0..<b.count, using: &rng)] = [0x00, 0xFF, 0x7F, 0x80].randomElement(using: &rng)!
                    b.removeLast(Int.random(in: 0...3, using: &rng))
                }
                do {
                    let got = try TorchCheckpointReader.read(b)
                    XCTAssertEqual(got.object, value, "\(label) trial \(trial) decoded a different value")
                    identical += 1
                } catch is TorchCheckpointError {
                    errors += 1
                } catch {
                    XCTFail("\(label) trial \(trial): untyped error \(error)")
                }
            }
            XCTAssertEqual(errors + identical, 1500)
            XCTAssertGreaterThan(errors, 1000, label)      // most damage is detected …
            XCTAssertGreaterThan(identical, 10, label)     // … and padding / ignored fields do not matter
        }
    }

    /// Mutations of `data.pkl` itself (bypassing the CRC, which would catch them first): the unpickler
    /// returns some value or a typed error, never traps.
    func testMutatedPicklesNeverTrap() throws {
        let zip = try ZipArchiveReader(try TorchCheckpointWriter.serialize(try sampleCheckpoint()))
        let pickle = Array(try XCTUnwrap(zip.record("data.pkl")))
        let loader: PickleReader.StorageLoader = { key, _, _ in
            guard let r = zip.record("data/\(key)") else { throw TorchCheckpointError.missingRecord(key) }
            return Array(r)
        }
        var rng = SplitMix64(seed: 0x5EED_0002)
        var errors = 0
        for trial in 0..<4000 {
            var p = pickle
            for _ in 0..<Int.random(in: 1...3, using: &rng) {
                let i = Int.random(in: 0..<p.count, using: &rng)
                switch Int.random(in: 0..<4, using: &rng) {
                case 0: p[i] ^= UInt8.random(in: 1...255, using: &rng)
                case 1: p[i] = [0x28, 0x29, 0x2E, 0x4B, 0x51, 0x52, 0x58, 0x68, 0x71, 0x73, 0x74, 0x75, 0x7D, 0x85, 0x8A, 0xFF].randomElement(using: &rng)!
                case 2: p.remove(at: i)
                default: p.insert(UInt8.random(in: 0...255, using: &rng), at: i)
                }
                if p.isEmpty { break }
            }
            do {
                _ = try PickleReader.read(p, copyBudget: 1 << 20, loadStorage: loader)
            } catch is TorchCheckpointError {
                errors += 1
            } catch {
                XCTFail("trial \(trial): untyped error \(error)")
            }
        }
        XCTAssertGreaterThan(errors, 3000)
    }

    // MARK: Hostile pickles

    /// Pickle bytes from a readable notation: opcodes as bytes, strings as BINUNICODE.
    func pk(_ parts: [Any]) -> [UInt8] {
        var b: [UInt8] = [0x80, 2]
        for p in parts {
            switch p {
            case let s as String:
                let u = Array(s.utf8)
                b += [0x58] + littleEndianBytes([UInt32(u.count)]) + u
            case let bytes as [UInt8]: b += bytes
            case let byte as UInt8: b.append(byte)
            case let ints as [Int]: b += ints.map { UInt8(truncatingIfNeeded: $0) }   // bare literals: [0x85]
            default: XCTFail("pk: cannot encode \(p)")
            }
        }
        return b + [0x2E]
    }

    let dict: UInt8 = 0x7D, setItem: UInt8 = 0x73, mark: UInt8 = 0x28, tuple: UInt8 = 0x74, none: UInt8 = 0x4E
    let reduce: UInt8 = 0x52, persId: UInt8 = 0x51, emptyTuple: UInt8 = 0x29, newFalse: UInt8 = 0x89
    func int1(_ v: UInt8) -> [UInt8] { [0x4B, v] }
    func put(_ i: UInt8) -> [UInt8] { [0x71, i] }
    func get(_ i: UInt8) -> [UInt8] { [0x68, i] }
    func global(_ m: String, _ n: String) -> [UInt8] { [0x63] + Array((m + "\n" + n + "\n").utf8) }
    var orderedDict: [UInt8] { global("collections", "OrderedDict") + [0x29, 0x52] }

    func readPickle(_ p: [UInt8], storage: [UInt8] = Array(repeating: 0, count: 16), budget: Int = 1 << 20) throws -> PickleValue {
        try PickleReader.read(p, copyBudget: budget) { _, _, _ in storage }
    }

    func expect(_ p: [UInt8], _ kind: String, storage: [UInt8] = Array(repeating: 0, count: 16), budget: Int = 1 << 20,
                file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try readPickle(p, storage: storage, budget: budget), file: file, line: line) { e in
            let text: String
            switch e as? TorchCheckpointError {
            case .malformedPickle?: text = "malformed"
            case .unsupportedPickle?: text = "unsupported"
            case .malformedTensor?: text = "tensor"
            default: text = "other: \(e)"
            }
            XCTAssertEqual(text, kind, "\(e)", file: file, line: line)
        }
    }

    /// A float32 tensor over a 4-element storage with the given offset / size / stride parts.
    func tensorPickle(numel: UInt8 = 4, offset: [UInt8], size: [UInt8], stride: [UInt8]) -> [UInt8] {
        pk([global("torch._utils", "_rebuild_tensor_v2"), mark,
            mark, "storage", global("torch", "FloatStorage"), "0", "cpu", int1(numel), tuple, persId,
            offset, size, stride, newFalse, orderedDict, tuple, reduce])
    }

    func testTensorsOutsideTheirStorageAreRejected() throws {
        let four = Array(repeating: UInt8(1), count: 16)
        // (2, 2) contiguous over 4 elements: fine.
        let ok = try readPickle(tensorPickle(offset: int1(0), size: int1(2) + int1(2) + [0x86], stride: int1(2) + int1(1) + [0x86]), storage: four)
        XCTAssertEqual(ok.tensor?.shape, [2, 2])
        // Transposed view: gathered into C order.
        let s = littleEndianBytes([Float(0), 1, 2, 3].map(\.bitPattern))
        let t = try readPickle(tensorPickle(offset: int1(0), size: int1(2) + int1(2) + [0x86], stride: int1(1) + int1(2) + [0x86]), storage: s)
        XCTAssertEqual(try t.tensor?.float32Values(), [0, 2, 1, 3])
        // Reaching element 4 of 4.
        expect(tensorPickle(offset: int1(1), size: int1(2) + int1(2) + [0x86], stride: int1(2) + int1(1) + [0x86]), "tensor", storage: four)
        // Storage numel disagrees with the bytes the loader returns.
        expect(tensorPickle(numel: 5, offset: int1(0), size: int1(4) + [0x85], stride: int1(1) + [0x85]), "tensor", storage: four)
        // Element count overflow: (2^62, 4).
        let big: [UInt8] = [0x8A, 8, 0, 0, 0, 0, 0, 0, 0, 0x40]
        expect(tensorPickle(offset: int1(0), size: big + int1(4) + [0x86], stride: int1(1) + int1(1) + [0x86]), "tensor", storage: four)
        // Stride overflow: size (3,), stride (2^62,).
        expect(tensorPickle(offset: int1(0), size: int1(3) + [0x85], stride: big + [0x85]), "tensor", storage: four)
        // Offset beyond the storage with an empty tensor; a huge offset.
        expect(tensorPickle(offset: int1(9), size: int1(0) + [0x85], stride: int1(1) + [0x85]), "tensor", storage: four)
        expect(tensorPickle(offset: big, size: int1(1) + [0x85], stride: int1(1) + [0x85]), "tensor", storage: four)
        // Expanded view (stride 0) of 2^30 elements: refused by the copy budget, nothing allocated.
        let n30: [UInt8] = [0x4A] + littleEndianBytes([UInt32(1 << 30)])
        expect(tensorPickle(offset: int1(0), size: n30 + [0x85], stride: int1(0) + [0x85]), "tensor", storage: four, budget: 1 << 20)
        // Negative stride, mismatched size/stride lengths, missing hooks dict, wrong persistent id.
        expect(tensorPickle(offset: int1(0), size: int1(2) + [0x85], stride: [0x4A, 0xFF, 0xFF, 0xFF, 0xFF, 0x85]), "unsupported", storage: four)
        expect(tensorPickle(offset: int1(0), size: int1(2) + int1(2) + [0x86], stride: int1(1) + [0x85]), "unsupported", storage: four)
        expect(pk([global("torch._utils", "_rebuild_tensor_v2"), mark, mark, "storage", global("torch", "FloatStorage"), "0", "cpu",
                   int1(4), tuple, persId, int1(0), int1(4), [0x85], int1(1), [0x85], newFalse, none, tuple, reduce]), "unsupported", storage: four)
        expect(pk([mark, "file", global("torch", "FloatStorage"), "0", "cpu", int1(4), tuple, persId]), "unsupported", storage: four)
    }

    func testStructuralAttacksAreRejected() {
        // Dict nesting 200 000 deep: rejected at depth 64 without recursing 200 000 frames.
        var deep: [Any] = [dict]
        for _ in 0..<200_000 { deep += ["k", dict] }
        deep += Array(repeating: setItem, count: 200_000)
        expect(pk(deep), "unsupported")
        // Tuples nested 100 000 deep.
        expect(pk([none] + Array(repeating: UInt8(0x85), count: 100_000)), "unsupported")
        // A dict containing itself; one dict object placed twice.
        expect(pk([dict, put(0), "k", get(0), setItem]), "unsupported")
        expect(pk([dict, "a", dict, put(1), setItem, "b", get(1), setItem]), "unsupported")
        // Memo and stack errors.
        expect(pk([get(7)]), "malformed")
        expect(pk([[0x6A, 0xFF, 0xFF, 0xFF, 0xFF]]), "malformed")
        expect(pk([setItem]), "malformed")
        expect(pk([none, tuple]), "malformed")
        expect(pk([none, none]), "malformed")
        expect(pk([mark, none]), "malformed")
        expect(pk([none, [0x2E, 0x00]]), "malformed")                           // bytes after STOP
        expect([0x80, 2, 0x58, 0xFF, 0xFF, 0xFF, 0xFF, 0x41], "malformed")     // string longer than the pickle
        expect(pk([[0x58, 2, 0, 0, 0, 0xC3, 0x28]]), "malformed")              // invalid UTF-8
        expect([0x80, 2, 0x4E], "malformed")                                   // no STOP
        expect([], "malformed")
        expect(pk([dict, none, none, setItem]), "unsupported")                 // non-string key
        expect(pk([[0x8A, 9, 1, 2, 3, 4, 5, 6, 7, 8, 9]]), "unsupported")      // 72-bit integer
        expect(pk([global("os", "system")]), "unsupported")
        expect(pk([global("builtins", "eval"), "1", [0x85], reduce]), "unsupported")
        expect(pk([[0x63, 0x6F, 0x73]]), "malformed")                          // GLOBAL without newline
        expect(pk([[0x5D]]), "unsupported")                                    // EMPTY_LIST
        expect(pk([dict, [0x62]]), "unsupported")                              // BUILD
        expect(pk([orderedDict, emptyTuple]), "malformed")                     // two items at STOP
        expect(pk([global("collections", "OrderedDict"), "x", [0x85], reduce]), "unsupported")
        expect(pk([global("collections", "OrderedDict")]), "unsupported")      // a class as the value
    }

    func testWellFormedEdgePicklesDecode() throws {
        // Duplicate keys keep the first position and the last value, as Python dicts do.
        XCTAssertEqual(try readPickle(pk([dict, mark, "a", int1(1), "b", int1(2), "a", int1(3), [0x75]])),
                       .dict([("a", .int(3)), ("b", .int(2))]))
        // LONG1 sign extension and BININT2.
        XCTAssertEqual(try readPickle(pk([[0x8A, 2, 0x00, 0x80]])), .int(-32768))
        XCTAssertEqual(try readPickle(pk([[0x8A, 0]])), .int(0))
        XCTAssertEqual(try readPickle(pk([[0x4D, 0x34, 0x12]])), .int(0x1234))
    }

    // MARK: Hostile archives

    func archive(_ records: [(String, [UInt8])], name: String = "a") throws -> [UInt8] {
        let plan = try ZipPlan(records: records, archiveName: name, limit: TorchCheckpointWriter.zip32Limit)
        var out = [UInt8]()
        plan.emit { out += $0 }
        return out
    }

    func expectZip(_ b: [UInt8], _ check: (TorchCheckpointError) -> Bool, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try TorchCheckpointReader.read(b), file: file, line: line) { e in
            guard let t = e as? TorchCheckpointError else { return XCTFail("untyped \(e)", file: file, line: line) }
            XCTAssertTrue(check(t), "\(t)", file: file, line: line)
        }
    }

    func testDamagedArchivesAreRejected() throws {
        let pickle = pk([dict, "epoch", int1(1), setItem])
        let version: (String, [UInt8]) = ("version", Array("3\n".utf8))
        XCTAssertEqual(try TorchCheckpointReader.read(try archive([("data.pkl", pickle), version])).object, .dict([("epoch", .int(1))]))
        XCTAssertEqual(try TorchCheckpointReader.read(try archive([("data.pkl", pickle), (".data/version", Array("6\n".utf8))])).object,
                       .dict([("epoch", .int(1))]))

        expectZip([]) { if case .malformedZip = $0 { return true } else { return false } }
        expectZip(Array(repeating: 0x50, count: 100)) { if case .malformedZip = $0 { return true } else { return false } }
        expectZip(try archive([version])) { $0 == .missingRecord("data.pkl") }
        expectZip(try archive([("data.pkl", pickle)])) { $0 == .missingRecord("version") }
        expectZip(try archive([("data.pkl", pickle), ("version", Array("99\n".utf8))])) { if case .malformedRecord = $0 { return true } else { return false } }
        expectZip(try archive([("data.pkl", pickle), ("version", Array("x".utf8))])) { if case .malformedRecord = $0 { return true } else { return false } }
        expectZip(try archive([("data.pkl", pickle), version, ("byteorder", Array("big".utf8))])) { if case .malformedRecord = $0 { return true } else { return false } }
        expectZip(try archive([("data.pkl", pickle), version, ("data.pkl", pickle)])) { if case .malformedZip = $0 { return true } else { return false } }

        // A tensor whose storage record is missing, has the wrong length, or is used with two dtypes.
        let t = { (type: String, key: String, numel: UInt8) -> [Any] in
            [self.global("torch._utils", "_rebuild_tensor_v2"), self.mark, self.mark, "storage", self.global("torch", type), key, "cpu",
             self.int1(numel), self.tuple, self.persId, self.int1(0), self.int1(numel), [UInt8(0x85)], self.int1(1), [UInt8(0x85)],
             self.newFalse, self.orderedDict, self.tuple, self.reduce]
        }
        let oneTensor = pk([dict, "w"] + t("FloatStorage", "0", 2) + [setItem])
        XCTAssertNoThrow(try TorchCheckpointReader.read(try archive([("data.pkl", oneTensor), version, ("data/0", Array(repeating: 0, count: 8))])))
        expectZip(try archive([("data.pkl", oneTensor), version])) { $0 == .missingRecord("data/0") }
        expectZip(try archive([("data.pkl", oneTensor), version, ("data/0", Array(repeating: 0, count: 12))])) {
            if case .malformedTensor = $0 { return true } else { return false }
        }
        let twoTypes = pk([dict, mark, "w"] + t("FloatStorage", "0", 2) + ["v"] + t("IntStorage", "0", 2) + [UInt8(0x75)])
        expectZip(try archive([("data.pkl", twoTypes), version, ("data/0", Array(repeating: 0, count: 8))])) {
            if case .malformedTensor = $0 { return true } else { return false }
        }

        // Patch the directory: compression method, ZIP64 sentinel, a local header offset past the directory.
        let good = try archive([("data.pkl", pickle), version])
        let eocd = good.count - 22
        let cd = Int(good[eocd + 16]) | Int(good[eocd + 17]) << 8
        var compressed = good; compressed[cd + 10] = 8
        expectZip(compressed) { if case .unsupportedZip = $0 { return true } else { return false } }
        var zip64 = good; for i in 16..<20 { zip64[eocd + i] = 0xFF }
        expectZip(zip64) { if case .unsupportedZip = $0 { return true } else { return false } }
        var farLocal = good; farLocal[cd + 44] = 0x7F
        expectZip(farLocal) { if case .malformedZip = $0 { return true } else { return false } }
        var badCRC = good; badCRC[cd + 16] ^= 1
        expectZip(badCRC) { if case .checksumMismatch(record: "data.pkl", _, _) = $0 { return true } else { return false } }
        var encrypted = good; encrypted[cd + 8] |= 1
        expectZip(encrypted) { if case .unsupportedZip = $0 { return true } else { return false } }
        expectZip(good + [0]) { if case .malformedZip = $0 { return true } else { return false } }     // bytes after the end record
    }
}
