/// What `TorchCheckpointReader.read` found in a checkpoint.
public struct TorchCheckpointContents: Sendable {
    /// The folder all records live in (`archive` for Vigil's default, the file stem for `torch.save(obj, path)`).
    public let archiveName: String
    /// Record names below the folder, in central-directory order (e.g. `data.pkl`, `byteorder`, `data/0`).
    public let recordNames: [String]
    /// The unpickled object, e.g. `.dict(["model_state_dict": .orderedDict(…), "epoch": .int(…)])`.
    public let object: PickleValue

    /// The tensors of the state dict under `key` at the top level, in order (see `PickleValue.stateDict(at:)`).
    public func stateDict(at key: String = "model_state_dict") throws -> [(key: String, tensor: TorchTensor)] {
        try object.stateDict(at: key)
    }
}

/// Reads PyTorch zip checkpoints: everything `TorchCheckpointWriter` writes, and `torch.save` files of
/// dicts / OrderedDicts of CPU tensors and scalars (see `PickleReader` for the exact subset).
///
/// Checks, each failing with a `TorchCheckpointError` (never a trap): the zip structure and every
/// offset/size in it against the file (`ZipArchiveReader`); each record's CRC-32; `data.pkl` and a
/// `version` (or `.data/version`) record of 1…10 are present (PyTorch 2.x reads versions 1…10,
/// `caffe2/serialize/versions.h`); `byteorder`, when present, is `little`; every storage record exists
/// and holds exactly numel × element-size bytes; every tensor's size/stride/offset lies inside its storage.
public enum TorchCheckpointReader {
    /// Parses a whole checkpoint file.
    public static func read(_ bytes: [UInt8]) throws -> TorchCheckpointContents {
        let zip = try ZipArchiveReader(bytes)
        guard let pickle = zip.record("data.pkl") else { throw TorchCheckpointError.missingRecord("data.pkl") }
        let versionName = zip.record(".data/version") != nil ? ".data/version" : "version"
        guard let version = zip.record(versionName) else { throw TorchCheckpointError.missingRecord("version") }
        guard let v = parseVersion(version), (1...10).contains(v) else {
            throw TorchCheckpointError.malformedRecord(record: versionName, reason: "expected a file format version 1…10 as decimal text")
        }
        if let order = zip.record("byteorder") {
            let s = String(decoding: order, as: UTF8.self)
            guard s == "little" else {
                throw TorchCheckpointError.malformedRecord(
                    record: "byteorder", reason: s == "big" ? "big-endian checkpoints are not supported" : "expected \"little\"")
            }
        }
        var cache: [String: (TorchDType, [UInt8])] = [:]
        let object = try PickleReader.read(Array(pickle), copyBudget: 4 * bytes.count + (1 << 20)) { key, dtype, numel in
            if let (d, b) = cache[key] {
                guard d == dtype else {
                    throw TorchCheckpointError.malformedTensor("storage \(key) is used as both \(d.rawValue) and \(dtype.rawValue)")
                }
                return b
            }
            guard let r = zip.record("data/\(key)") else { throw TorchCheckpointError.missingRecord("data/\(key)") }
            guard r.count / dtype.elementSize == numel, r.count % dtype.elementSize == 0 else {
                throw TorchCheckpointError.malformedTensor(
                    "record data/\(key) has \(r.count) bytes; the pickle says \(numel) \(dtype.rawValue) elements")
            }
            let b = Array(r)
            cache[key] = (dtype, b)
            return b
        }
        return TorchCheckpointContents(archiveName: zip.archiveName, recordNames: zip.records.map(\.name), object: object)
    }

    /// Decimal digits with an optional trailing newline, as `PyTorchStreamReader::init` parses them.
    private static func parseVersion(_ b: ArraySlice<UInt8>) -> Int? {
        var digits = b
        if digits.last == 0x0A { digits = digits.dropLast() }
        guard (1...4).contains(digits.count), digits.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        return Int(String(decoding: digits, as: UTF8.self))
    }
}
