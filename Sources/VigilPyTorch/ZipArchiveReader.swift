/// The ZIP container of a PyTorch checkpoint, parsed from its central directory (APPNOTE.TXT §4.3.12,
/// §4.3.16) with every offset and size checked against the file before use, and every record's CRC-32
/// verified. Reads what `ZipPlan` and `torch.save` write: stored entries, one disk, with or without data
/// descriptors, with or without torch's ZIP64 end records in front of a valid end record. Refuses
/// compressed, encrypted and genuinely ZIP64 (≥ 4 GiB) archives with `.unsupportedZip`.
struct ZipArchiveReader {
    struct Record {
        let name: String    // below the archive folder, e.g. "data.pkl"
        let range: Range<Int>
    }

    let archiveName: String
    let records: [Record]          // central-directory order
    private let index: [String: Int]
    private let bytes: [UInt8]

    init(_ bytes: [UInt8]) throws {
        self.bytes = bytes
        let v = ByteView(bytes: bytes)
        let eocd = try ZipArchiveReader.findEndRecord(v)
        guard let disk = v.u16(eocd + 4), let cdDisk = v.u16(eocd + 6), let onDisk = v.u16(eocd + 8),
              let count = v.u16(eocd + 10), let cdSize = v.u32(eocd + 12), let cdOffset32 = v.u32(eocd + 16) else {
            throw TorchCheckpointError.malformedZip("truncated end-of-central-directory record")
        }
        guard disk == 0, cdDisk == 0, onDisk == count else {
            throw TorchCheckpointError.unsupportedZip("multi-disk archive")
        }
        guard count != 0xFFFF, cdSize != 0xFFFF_FFFF, cdOffset32 != 0xFFFF_FFFF else {
            throw TorchCheckpointError.unsupportedZip("ZIP64 archive (over 4 GiB or 65535 entries)")
        }
        let cdOffset = Int(cdOffset32), cdEnd = Int(cdOffset32) + Int(cdSize)   // both < 2^33: no overflow
        guard cdEnd <= eocd else {
            throw TorchCheckpointError.malformedZip("central directory [\(cdOffset), \(cdEnd)) runs past its end record at \(eocd)")
        }
        guard count > 0 else { throw TorchCheckpointError.malformedZip("the archive has no entries") }

        var records: [Record] = []
        var index: [String: Int] = [:]
        var prefix: String?
        var p = cdOffset
        for i in 0..<Int(count) {
            guard p <= cdEnd - 46, v.u32(p) == 0x0201_4B50,
                  let flags = v.u16(p + 8), let method = v.u16(p + 10), let crc = v.u32(p + 16),
                  let csize = v.u32(p + 20), let size = v.u32(p + 24), let nlen = v.u16(p + 28),
                  let elen = v.u16(p + 30), let clen = v.u16(p + 32), let startDisk = v.u16(p + 34),
                  let local32 = v.u32(p + 42) else {
                throw TorchCheckpointError.malformedZip("central directory entry \(i) at byte \(p) is truncated or has a bad signature")
            }
            let headerEnd = p + 46 + Int(nlen) + Int(elen) + Int(clen)
            guard headerEnd <= cdEnd, let nameBytes = v.slice(p + 46, Int(nlen)) else {
                throw TorchCheckpointError.malformedZip("central directory entry \(i) runs past the directory")
            }
            let fullName = try decodeName(nameBytes, entry: i)
            guard flags & 0x41 == 0 else { throw TorchCheckpointError.unsupportedZip("entry \(fullName) is encrypted") }
            guard method == 0 else {
                throw TorchCheckpointError.unsupportedZip("entry \(fullName) is compressed (method \(method))")
            }
            guard size != 0xFFFF_FFFF, csize != 0xFFFF_FFFF, local32 != 0xFFFF_FFFF, startDisk != 0xFFFF else {
                throw TorchCheckpointError.unsupportedZip("entry \(fullName) uses ZIP64 sizes or offsets")
            }
            guard csize == size else {
                throw TorchCheckpointError.malformedZip("stored entry \(fullName) has compressed size \(csize) ≠ size \(size)")
            }
            guard startDisk == 0 else { throw TorchCheckpointError.unsupportedZip("multi-disk archive") }

            // The archive folder: the first entry's name up to '/' (PyTorchStreamReader::init); all entries share it.
            guard let slash = fullName.firstIndex(of: "/"), slash != fullName.startIndex else {
                throw TorchCheckpointError.malformedZip("entry \(fullName) is not inside an archive folder")
            }
            let folder = String(fullName[..<slash])
            if prefix == nil { prefix = folder }
            guard folder == prefix else {
                throw TorchCheckpointError.malformedZip("entry \(fullName) is outside the archive folder \(prefix!)/")
            }
            let name = String(fullName[fullName.index(after: slash)...])

            // Local header: signature, same name, data inside the file and before the central directory.
            let local = Int(local32)
            guard local <= cdOffset - 30, v.u32(local) == 0x0403_4B50, let lmethod = v.u16(local + 8),
                  let lnlen = v.u16(local + 26), let lelen = v.u16(local + 28) else {
                throw TorchCheckpointError.malformedZip("entry \(fullName): no local header at byte \(local)")
            }
            guard lmethod == 0, v.slice(local + 30, Int(lnlen)).map({ Array($0) }) == Array(nameBytes) else {
                throw TorchCheckpointError.malformedZip("entry \(fullName): the local header disagrees with the central directory")
            }
            let dataStart = local + 30 + Int(lnlen) + Int(lelen)
            guard dataStart <= cdOffset, Int(size) <= cdOffset - dataStart else {
                throw TorchCheckpointError.malformedZip("entry \(fullName): its \(size) bytes at \(dataStart) run into the central directory")
            }
            let range = dataStart..<(dataStart + Int(size))
            let computed = crc32Checksum(bytes[range])
            guard computed == crc else {
                throw TorchCheckpointError.checksumMismatch(record: name, stored: crc, computed: computed)
            }
            guard index[name] == nil else { throw TorchCheckpointError.malformedZip("record \(name) appears twice") }
            index[name] = records.count
            records.append(Record(name: name, range: range))
            p = headerEnd
        }
        self.archiveName = prefix!
        self.records = records
        self.index = index
    }

    /// The bytes of record `name` (below the archive folder), or nil when absent.
    func record(_ name: String) -> ArraySlice<UInt8>? {
        index[name].map { bytes[records[$0].range] }
    }

    /// The end-of-central-directory record: the last "PK\5\6" whose comment length reaches exactly to
    /// the end of the file (the comment is at most 65535 bytes).
    private static func findEndRecord(_ v: ByteView) throws -> Int {
        let n = v.bytes.count
        guard n >= 22 else { throw TorchCheckpointError.malformedZip("\(n) bytes is too short for a zip archive") }
        var p = n - 22
        let lowest = max(0, n - 22 - 0xFFFF)
        while p >= lowest {
            if v.u32(p) == 0x0605_4B50, let c = v.u16(p + 20), p + 22 + Int(c) == n { return p }
            p -= 1
        }
        throw TorchCheckpointError.malformedZip("no end-of-central-directory record (the file may be truncated)")
    }
}

/// UTF-8 name bytes → String; invalid UTF-8 or a NUL is an error rather than a replacement character.
private func decodeName(_ b: ArraySlice<UInt8>, entry: Int) throws -> String {
    let s = String(decoding: b, as: UTF8.self)
    guard s.utf8.elementsEqual(b), !b.contains(0) else {
        throw TorchCheckpointError.malformedZip("central directory entry \(entry) has a name that is not UTF-8")
    }
    return s
}
