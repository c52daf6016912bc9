@testable import VigilPyTorch
import XCTest

/// Writer → reader in Swift, no PyTorch involved.
final class RoundTripTests: XCTestCase {
    func roundTrip(_ v: PickleValue, file: StaticString = #filePath, line: UInt = #line) throws -> TorchCheckpointContents {
        let bytes = try TorchCheckpointWriter.serialize(v)
        let back = try TorchCheckpointReader.read(bytes)
        XCTAssertEqual(back.object, v, file: file, line: line)
        return back
    }

    func testTrainingCheckpointRoundTrips() throws {
        let w = try TorchTensor(float32: [1, 2, 3, 4, 5, 6], shape: [2, 3])
        let pe = try TorchTensor(float64: (0..<10).map { sin(Double($0)) + cos(Double($0)) }, shape: [5, 1, 2])
        let v = PickleValue.trainingCheckpoint(stateDict: [("fcn.0.weight", w), ("pos_encoder.pe", pe)], epoch: 9)
        let back = try roundTrip(v)
        XCTAssertEqual(back.archiveName, "archive")
        let sd = try back.stateDict()
        XCTAssertEqual(sd.map(\.key), ["fcn.0.weight", "pos_encoder.pe"])
        XCTAssertEqual(try sd[0].tensor.float32Values(), [1, 2, 3, 4, 5, 6])
        XCTAssertEqual(sd[1].tensor.shape, [5, 1, 2])
        XCTAssertEqual(try sd[1].tensor.float64Values()[3], sin(3.0) + cos(3.0))
        XCTAssertEqual(back.object["epoch"]?.int, 9)
        XCTAssertThrowsError(try back.stateDict(at: "optimizer_state_dict"))
        XCTAssertThrowsError(try back.object.stateDict(at: "epoch"))
        XCTAssertThrowsError(try sd[0].tensor.float64Values())
    }

    func testEveryScalarAndContainerKind() throws {
        _ = try roundTrip(try sampleCheckpoint())
        _ = try roundTrip(.dict([]))
        _ = try roundTrip(.orderedDict([]))
        _ = try roundTrip(.int(7))
        _ = try roundTrip(.orderedDict([("only", .dict([("nested", .orderedDict([("x", .none)]))]))]))
        let floats: [Double] = [0, -0.0, 1e-310, .nan, -.infinity, .pi, -1e308]
        _ = try roundTrip(.dict(floats.enumerated().map { ("f\($0.offset)", .float($0.element)) }))
    }

    /// Every integer width boundary of pickle's K / M / J / LONG1 encodings.
    func testIntegerEncodingsAtEveryBoundary() throws {
        let ints: [Int64] = [0, 1, 255, 256, 65535, 65536, -1, -128, -129, -32768, -32769, Int64(Int32.max), Int64(Int32.max) + 1,
                             Int64(Int32.min), Int64(Int32.min) - 1, 1 << 40, -(1 << 40), Int64.max, Int64.min, 0x80_0000_0000, -0x80_0000_0001]
        _ = try roundTrip(.dict(ints.enumerated().map { ("i\($0.offset)", .int($0.element)) }))
    }

    /// pickle.encode_long as CPython computes it (values from `pickle.encode_long` in Python 3.11).
    func testEncodeLongMatchesCPython() {
        XCTAssertEqual(encodeLong(0), [])
        XCTAssertEqual(encodeLong(255), [0xFF, 0x00])
        XCTAssertEqual(encodeLong(-128), [0x80])
        XCTAssertEqual(encodeLong(-129), [0x7F, 0xFF])
        XCTAssertEqual(encodeLong(1 << 31), [0x00, 0x00, 0x00, 0x80, 0x00])
        XCTAssertEqual(encodeLong(Int64.max), [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F])
        XCTAssertEqual(encodeLong(Int64.min), [0, 0, 0, 0, 0, 0, 0, 0x80])
        XCTAssertEqual(encodeLong(-(1 << 31) - 1), [0xFF, 0xFF, 0xFF, 0x7F, 0xFF])
    }

    func testEveryDTypeAndDegenerateShapes() throws {
        var entries: [(key: String, value: PickleValue)] = []
        for d in TorchDType.allCases {
            let n = 6
            let bytes = (0..<(n * d.elementSize)).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
            entries.append(("\(d.rawValue).matrix", .tensor(try TorchTensor(dtype: d, shape: [2, 3], bytes: bytes))))
            entries.append(("\(d.rawValue).scalar", .tensor(try TorchTensor(dtype: d, shape: [], bytes: Array(bytes.prefix(d.elementSize))))))
            entries.append(("\(d.rawValue).empty", .tensor(try TorchTensor(dtype: d, shape: [3, 0, 2], bytes: []))))
            entries.append(("\(d.rawValue).five_d", .tensor(try TorchTensor(dtype: d, shape: [1, 2, 1, 3, 1], bytes: bytes))))
        }
        _ = try roundTrip(.orderedDict(entries))
    }

    /// > 1000 items (two SETITEMS batches) and > 256 memoized objects (LONG_BINPUT / LONG_BINGET).
    func testLargeDictsUseBatchesAndWideMemoIndices() throws {
        let t = try TorchTensor(float32: [1], shape: [1])
        let many = PickleValue.orderedDict((0..<1001).map { ("k\($0)", .tensor(t)) })
        let bytes = try TorchCheckpointWriter.serialize(.dict([("model_state_dict", many), ("epoch", .int(1))]))
        let pickle = try XCTUnwrap(ZipArchiveReader(bytes).record("data.pkl"))
        XCTAssertTrue(pickle.contains(PickleOpcode.longBinPut))
        XCTAssertTrue(pickle.contains(PickleOpcode.longBinGet))
        XCTAssertEqual(try TorchCheckpointReader.read(bytes).stateDict().count, 1001)
        XCTAssertEqual(try TorchCheckpointReader.read(bytes).stateDict()[1000].key, "k1000")
    }

    func testOutputIsDeterministicAndStreamingMatchesSerialize() throws {
        let v = try sampleCheckpoint()
        let a = try TorchCheckpointWriter.serialize(v, archiveName: "model")
        XCTAssertEqual(a, try TorchCheckpointWriter.serialize(v, archiveName: "model"))
        var streamed = [UInt8]()
        var calls = 0
        try TorchCheckpointWriter.write(v, archiveName: "model") { streamed.append(contentsOf: $0); calls += 1 }
        XCTAssertEqual(streamed, a)
        XCTAssertGreaterThan(calls, 1)
        XCTAssertEqual(try TorchCheckpointReader.read(a).archiveName, "model")
    }

    func testSinkErrorsPropagateUnchanged() throws {
        struct DiskFull: Error, Equatable {}
        var calls = 0
        XCTAssertThrowsError(try TorchCheckpointWriter.write(try sampleCheckpoint()) { _ in
            calls += 1
            if calls == 3 { throw DiskFull() }
        }) { XCTAssertEqual($0 as? DiskFull, DiskFull()) }
        XCTAssertEqual(calls, 3)
    }

    func testTensorInitializersValidate() throws {
        XCTAssertThrowsError(try TorchTensor(float32: [1, 2, 3], shape: [2, 2]))
        XCTAssertThrowsError(try TorchTensor(dtype: .int64, shape: [-1], bytes: []))
        XCTAssertThrowsError(try TorchTensor(dtype: .float64, shape: [Int.max, 2], bytes: []))
        XCTAssertThrowsError(try TorchTensor(dtype: .float64, shape: [Int.max / 4], bytes: []))
        let t = try TorchTensor(float32: Array(repeating: 0, count: 24), shape: [2, 3, 4])
        XCTAssertEqual(t.strides, [12, 4, 1])
        XCTAssertEqual(t.elementCount, 24)
        XCTAssertEqual(try TorchTensor(dtype: .float32, shape: [2, 0, 4], bytes: []).strides, [4, 4, 1])   // as torch.zeros(2, 0, 4).stride()
        XCTAssertEqual(try TorchTensor(dtype: .float32, shape: [3, 0], bytes: []).strides, [1, 1])
        XCTAssertEqual(try TorchTensor(dtype: .float32, shape: [], bytes: [0, 0, 0, 0]).strides, [])
    }

    func testArchiveNamesAreValidated() throws {
        for bad in ["", "a/b", "..", ".", "with space", "é", String(repeating: "x", count: 101)] {
            XCTAssertThrowsError(try TorchCheckpointWriter.serialize(.int(1), archiveName: bad), bad) {
                XCTAssertEqual($0 as? TorchCheckpointError, .invalidArchiveName(bad))
            }
        }
        XCTAssertNoThrow(try TorchCheckpointWriter.serialize(.int(1), archiveName: "model.v2_final-1"))
    }
}
