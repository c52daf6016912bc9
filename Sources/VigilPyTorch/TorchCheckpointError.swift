/// Everything that can go wrong writing or reading a PyTorch checkpoint. Reading never traps: every
/// malformed, truncated or unsupported input ends in one of these.
public enum TorchCheckpointError: Error, Equatable, CustomStringConvertible, Sendable {
    // Writing
    /// A tensor's byte count does not match its shape and dtype, or a dimension is negative / overflows.
    case invalidTensor(String)
    /// The archive name (the folder every record lives in) is empty or has characters other than
    /// ASCII letters, digits, `_`, `-`, `.`.
    case invalidArchiveName(String)
    /// The archive would need ZIP64 (an entry, offset or directory at or past 4 GiB, or ≥ 65535 entries).
    case archiveTooLarge(String)
    /// The caller's write function threw; the message is its description.
    case sinkFailed(String)

    // Reading: the ZIP container
    /// No end-of-central-directory record, or a structure that points outside the file.
    case malformedZip(String)
    /// A valid ZIP feature outside what PyTorch writes (compression, encryption, ZIP64, multi-disk).
    case unsupportedZip(String)
    /// A record's bytes do not match the CRC-32 in the central directory.
    case checksumMismatch(record: String, stored: UInt32, computed: UInt32)
    /// A record the format requires is absent (e.g. `data.pkl`, `version`, a storage `data/<key>`).
    case missingRecord(String)
    /// A small text record (`version`, `byteorder`, …) holds something PyTorch never writes.
    case malformedRecord(record: String, reason: String)

    // Reading: the pickle
    /// `data.pkl` is not a well-formed pickle (truncated, stack underflow, unknown memo index, …).
    case malformedPickle(offset: Int, reason: String)
    /// A well-formed pickle that uses an opcode, global or object shape outside the supported subset.
    case unsupportedPickle(offset: Int, reason: String)
    /// A tensor's size/stride/offset does not fit its storage, or its storage record has the wrong length.
    case malformedTensor(String)

    // Accessors
    /// `stateDict(at:)` and friends: the key is absent or holds another kind of value.
    case valueNotFound(String)

    public var description: String {
        let damaged = "the file is damaged or was not written by torch.save / Vigil; re-export it"
        switch self {
        case let .invalidTensor(m): return "invalid tensor: \(m)"
        case let .invalidArchiveName(n):
            return "invalid archive name \"\(n)\": use 1-100 ASCII letters, digits, '_', '-' or '.' (e.g. \"model\")"
        case let .archiveTooLarge(m):
            return "checkpoint too large for a non-ZIP64 archive: \(m); split the state dict or export HDF5 (model.h5) instead"
        case let .sinkFailed(m): return "writing the checkpoint failed: \(m)"
        case let .malformedZip(m): return "not a readable PyTorch zip checkpoint: \(m); \(damaged)"
        case let .unsupportedZip(m): return "unsupported zip feature: \(m); only stored (uncompressed), non-ZIP64 archives as torch.save writes them are read"
        case let .checksumMismatch(r, s, c):
            return "record \(r) fails its CRC-32 check (stored \(hex(s)), computed \(hex(c))); \(damaged)"
        case let .missingRecord(r): return "record \(r) is missing; \(damaged)"
        case let .malformedRecord(r, why): return "record \(r) is malformed: \(why); \(damaged)"
        case let .malformedPickle(o, why): return "data.pkl is malformed at byte \(o): \(why); \(damaged)"
        case let .unsupportedPickle(o, why):
            return "data.pkl uses something outside the supported subset at byte \(o): \(why); save plain dicts/OrderedDicts of contiguous tensors and scalars"
        case let .malformedTensor(m): return "malformed tensor: \(m); \(damaged)"
        case let .valueNotFound(m): return "value not found: \(m)"
        }
    }
}

private func hex(_ v: UInt32) -> String {
    let s = String(v, radix: 16)
    return "0x" + String(repeating: "0", count: max(0, 8 - s.count)) + s
}
