/// Writes PyTorch's zip checkpoint format — the file `torch.save(obj, path)` produces (the "new zipfile
/// serialization", default since PyTorch 1.6) — so `torch.load(path, weights_only=True)` loads it.
///
/// ## File layout (PyTorch 2.13, matched byte for byte except where noted)
///
/// A ZIP archive (PKWARE APPNOTE.TXT) whose records all live in one folder `<archive>/`, in this order
/// (`torch/serialization.py`, `_save`; `caffe2/serialize/inline_container.cc`, `PyTorchStreamWriter`):
///
/// | record                      | content                                                              |
/// |-----------------------------|----------------------------------------------------------------------|
/// | `<archive>/data.pkl`        | the protocol-2 pickle of the object (see `PickleWriter`)             |
/// | `<archive>/.format_version` | `1` (storages are numbered 0, 1, … in write order)                   |
/// | `<archive>/.storage_alignment` | `64`                                                              |
/// | `<archive>/byteorder`       | `little`                                                             |
/// | `<archive>/data/<key>`      | one per tensor: its elements, little endian, C order; key "0", "1", … |
/// | `<archive>/version`         | `3\n` (`PyTorchStreamWriter::writeEndOfFile`; torch.save's file version) |
/// | `<archive>/.data/serialization_id` | 40 decimal digits (`PyTorchStreamWriter::writeSerializationId`) |
///
/// `<archive>` is what torch uses to find records (`PyTorchStreamReader::init`: the first entry's name up
/// to `/`); `torch.save` uses the file name's stem, or `archive` for buffers. Every entry, as miniz writes it
/// for PyTorch (`mz_zip_writer_add_mem_ex_v2` with `detail::getPadding`):
///
///     local header (30 bytes): PK\3\4, version needed 0, flags 0x0808 (bit 3: sizes in a data descriptor;
///         bit 11: UTF-8 name) or 0x0800 for an empty record, method 0 (stored), time/date 0,
///         CRC-32 0, sizes 0 (they follow in the descriptor), name length, extra length
///     name
///     extra field "FB" + u16 n + n × 'Z'   with n chosen so the data starts at a multiple of 64
///     data                                  (stored, uncompressed; 64-byte aligned, so torch can mmap it)
///     data descriptor PK\7\8, CRC-32, compressed size, size (u32 each) — only when size > 0
///
/// then the central directory (one 46-byte header + name per entry: made-by 0, version 0, same flags,
/// CRC-32, sizes, local header offset; no extra, comment or attributes) and the end-of-central-directory
/// record (22 bytes, no comment).
///
/// Differences from `torch.save`, both ignored by every reader (torch only logs the id):
/// - torch's miniz always adds a ZIP64 end-of-central-directory record and locator (76 bytes) before the
///   end record; this writer writes ZIP64 structures never, and refuses archives that would need them
///   (an entry, offset or directory at or past 4 GiB, or ≥ 65535 entries) with `.archiveTooLarge`.
/// - The serialization id's first 20 digits are torch's `c10::hash_combine` over `std::hash` of the record
///   names in `unordered_set` order (implementation-defined); here they are the same combine over FNV-1a-64
///   of the names in write order. The last 20 digits are exactly torch's: `hash_combine` over the CRC-32 of
///   every non-empty record in write order, `hash_combine(s, v) = s ^ (v + 0x9e3779b9 + (s << 6) + (s >> 2))`.
///
/// The output is deterministic: the same object gives the same bytes.
public enum TorchCheckpointWriter {
    /// The archive folder name `torch.save` uses when writing to a buffer.
    public static let defaultArchiveName = "archive"

    /// The complete checkpoint file for `object`.
    public static func serialize(_ object: PickleValue, archiveName: String = defaultArchiveName) throws -> [UInt8] {
        let plan = try ZipPlan(object: object, archiveName: archiveName, limit: zip32Limit)
        var out = [UInt8]()
        out.reserveCapacity(plan.totalSize)
        plan.emit { out.append(contentsOf: $0) }
        return out
    }

    /// Streams the checkpoint for `object` to `write` in order (headers, then each record's bytes, then the
    /// central directory) — e.g. into an atomic-file writer. Everything is validated and sized before the
    /// first call, so a refused checkpoint writes nothing; errors thrown by `write` propagate unchanged.
    public static func write(_ object: PickleValue, archiveName: String = defaultArchiveName,
                             to write: (UnsafeRawBufferPointer) throws -> Void) throws {
        let plan = try ZipPlan(object: object, archiveName: archiveName, limit: zip32Limit)
        try plan.emit { chunk in try chunk.withUnsafeBytes { try write($0) } }
    }

    /// Offsets and sizes must stay below 0xFFFFFFFF: at that value miniz (and the ZIP spec) switch to ZIP64.
    static let zip32Limit = 0xFFFF_FFFF

    /// Record names (below the archive folder) `torch.save` writes, before and after the storages.
    static let version = "3\n"
}

/// The whole archive laid out before any byte is emitted: names, CRCs, local header offsets, padding.
struct ZipPlan {
    static func validate(archiveName: String) throws {
        guard (1...100).contains(archiveName.utf8.count),
              archiveName.utf8.allSatisfy({ isArchiveNameByte($0) }), archiveName != ".", archiveName != ".." else {
            throw TorchCheckpointError.invalidArchiveName(archiveName)
        }
    }

    struct Entry {
        let name: String        // full name, "<archive>/<record>"
        let data: [UInt8]
        let crc: UInt32
        let offset: Int         // of the local header
        let padding: Int        // 'Z' bytes in the FB extra field

        var hasDescriptor: Bool { !data.isEmpty }
        var flags: UInt16 { hasDescriptor ? 0x0808 : 0x0800 }
        var extraLength: Int { padding + 4 }
        var localSize: Int { 30 + name.utf8.count + extraLength + data.count + (hasDescriptor ? 16 : 0) }
    }

    private(set) var entries: [Entry] = []
    private(set) var centralDirectoryOffset = 0
    private(set) var centralDirectorySize = 0
    var totalSize: Int { centralDirectoryOffset + centralDirectorySize + 22 }

    /// The archive for `object`: `data.pkl`, the version records and one `data/<key>` per tensor.
    /// `limit`: the first value no offset, size or directory position may reach (0xFFFFFFFF; smaller in tests).
    init(object: PickleValue, archiveName: String, limit: Int) throws {
        try ZipPlan.validate(archiveName: archiveName)
        let (pickle, storages) = try PickleWriter.pickle(object)
        var records: [(String, [UInt8])] = [
            ("data.pkl", pickle),
            (".format_version", Array("1".utf8)),
            (".storage_alignment", Array("64".utf8)),
            ("byteorder", Array("little".utf8)),
        ]
        for (i, t) in storages.enumerated() { records.append(("data/\(i)", t.bytes)) }
        records.append(("version", Array(TorchCheckpointWriter.version.utf8)))
        try self.init(records: records, archiveName: archiveName, limit: limit)
    }

    /// An archive of `records` (names below the folder, in order) followed by `.data/serialization_id`.
    init(records: [(String, [UInt8])], archiveName: String, limit: Int) throws {
        try ZipPlan.validate(archiveName: archiveName)
        guard records.count < 0xFFFF else {
            throw TorchCheckpointError.archiveTooLarge("\(records.count + 1) records (the limit without ZIP64 is 65534)")
        }

        var cursor = 0
        var nameHash: UInt64 = 0, crcHash: UInt64 = 0
        func add(_ record: String, _ data: [UInt8]) throws {
            let name = archiveName + "/" + record
            guard cursor < limit, data.count < limit else {
                throw TorchCheckpointError.archiveTooLarge(
                    "record \(record) (\(data.count) bytes) would start at byte \(cursor); the limit is \(limit) bytes")
            }
            let crc = crc32Checksum(data)
            let start = cursor + 30 + name.utf8.count + 4
            let padding = (64 - start % 64) % 64
            let e = Entry(name: name, data: data, crc: crc, offset: cursor, padding: padding)
            entries.append(e)
            cursor += e.localSize
            nameHash = hashCombine(nameHash, fnv1a64(record))
            if !data.isEmpty { crcHash = hashCombine(crcHash, UInt64(crc)) }
        }
        for (r, d) in records { try add(r, d) }
        try add(".data/serialization_id", Array((digits20(nameHash) + digits20(crcHash)).utf8))

        centralDirectoryOffset = cursor
        centralDirectorySize = entries.reduce(0) { $0 + 46 + $1.name.utf8.count }
        guard centralDirectoryOffset < limit, centralDirectorySize < limit else {
            throw TorchCheckpointError.archiveTooLarge(
                "the central directory would start at byte \(centralDirectoryOffset); the limit is \(limit) bytes")
        }
    }

    /// Calls `sink` with the archive's bytes in order; record data is passed as the tensors' own arrays.
    func emit(_ sink: ([UInt8]) throws -> Void) rethrows {
        for e in entries {
            var h = ByteWriter()
            h.u32(0x0403_4B50); h.u16(0); h.u16(e.flags); h.u16(0); h.u16(0); h.u16(0)
            h.u32(0); h.u32(0); h.u32(0)
            h.u16(UInt16(e.name.utf8.count)); h.u16(UInt16(e.extraLength))
            h.ascii(e.name)
            h.ascii("FB"); h.u16(UInt16(e.padding)); h.append(repeatElement(UInt8(ascii: "Z"), count: e.padding))
            try sink(h.bytes)
            if !e.data.isEmpty { try sink(e.data) }
            if e.hasDescriptor {
                var d = ByteWriter()
                d.u32(0x0807_4B50); d.u32(e.crc); d.u32(UInt32(e.data.count)); d.u32(UInt32(e.data.count))
                try sink(d.bytes)
            }
        }
        var c = ByteWriter()
        for e in entries {
            c.u32(0x0201_4B50); c.u16(0); c.u16(0); c.u16(e.flags); c.u16(0); c.u16(0); c.u16(0)
            c.u32(e.crc); c.u32(UInt32(e.data.count)); c.u32(UInt32(e.data.count))
            c.u16(UInt16(e.name.utf8.count)); c.u16(0); c.u16(0); c.u16(0); c.u16(0); c.u32(0)
            c.u32(UInt32(e.offset))
            c.ascii(e.name)
        }
        c.u32(0x0605_4B50); c.u16(0); c.u16(0)
        c.u16(UInt16(entries.count)); c.u16(UInt16(entries.count))
        c.u32(UInt32(centralDirectorySize)); c.u32(UInt32(centralDirectoryOffset)); c.u16(0)
        try sink(c.bytes)
    }
}

private func isArchiveNameByte(_ b: UInt8) -> Bool {
    (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x5F || b == 0x2D || b == 0x2E
}

/// c10::hash_combine: seed ^ (value + 0x9e3779b9 + (seed << 6) + (seed >> 2)), wrapping on 64 bits.
func hashCombine(_ seed: UInt64, _ value: UInt64) -> UInt64 {
    seed ^ (value &+ 0x9E37_79B9 &+ (seed << 6) &+ (seed >> 2))
}

/// FNV-1a, 64-bit, over the UTF-8 bytes.
func fnv1a64(_ s: String) -> UInt64 {
    var h: UInt64 = 0xCBF2_9CE4_8422_2325
    for b in s.utf8 { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
    return h
}

/// `v` in decimal, zero-padded to 20 digits (UInt64.max has 20).
func digits20(_ v: UInt64) -> String {
    let s = String(v)
    return String(repeating: "0", count: 20 - s.count) + s
}
