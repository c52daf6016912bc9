// A whole-file seal for the HDF5 files Vigil writes, checked before libhdf5 parses a byte of them: libhdf5 trusts
// its on-disk metadata (a flipped byte in an object header or B-tree can crash it), so a damaged file must be
// refused before it is opened.
//
// Layout of a sealed file:
//   bytes 0..<512       user block (HDF5 skips it): the seal header, UTF-8 lines, zero-padded:
//                         VIGIL-HDF5-SEAL 1
//                         body_size <n>           HDF5 bytes 512..<512+n
//                         body_sha256 <hex>
//                         map_size <m>            the damage map follows the HDF5 bytes
//                         map_sha256 <hex>
//   512..<512+n         the HDF5 file proper (superblock at 512; h5py and libhdf5 find it there)
//   512+n..<512+n+m     damage map: JSON [{"name", "offset", "length", "sha256"}] of every checksummed dataset's raw
//                       bytes, used only to name the damaged dataset when the body does not match its sha256.
import CHDF5
import Foundation
import VigilIO

/// Sealing and verification of whole HDF5 files.
public enum HDF5Seal {
    /// Size of the user block holding the seal header.
    public static let userBlockSize = 512
    static let magic = "VIGIL-HDF5-SEAL 1\n"

    /// Where a checksummed dataset's raw bytes lie in the file.
    struct Extent: Codable, Equatable {
        var name: String
        var offset: Int
        var length: Int
        var sha256: String
    }

    /// The bytes of a sealed file: the HDF5 `image` (made with a 512-byte user block) with the seal header written
    /// into its user block and the damage map appended.
    static func seal(image: [UInt8], extents: [Extent], path: String) throws -> [UInt8] {
        // libhdf5's file image may or may not include the user block: the HDF5 signature tells where the body starts.
        let signature: [UInt8] = [0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A]
        let body: ArraySlice<UInt8>
        if image.count >= 8 && Array(image[0..<8]) == signature {
            body = image[...]
        } else if image.count >= userBlockSize + 8 && Array(image[userBlockSize..<(userBlockSize + 8)]) == signature {
            body = image[userBlockSize...]
        } else {
            throw FileError.failed(operation: "sealing", path: path, reason: "the HDF5 image has no superblock where expected")
        }
        let map = try JSONEncoder().encode(extents)
        let header = magic + "body_size \(body.count)\nbody_sha256 \(SHA256Hasher.hex(of: body))\n"
            + "map_size \(map.count)\nmap_sha256 \(SHA256Hasher.hex(of: map))\n"
        var block = Array(header.utf8)
        guard block.count < userBlockSize else { throw FileError.failed(operation: "sealing", path: path, reason: "seal header too long") }
        block += [UInt8](repeating: 0, count: userBlockSize - block.count)
        var out = block
        out.reserveCapacity(image.count + map.count)
        out += body
        out += map
        return out
    }

    /// The result of checking a file's seal.
    public enum Status: Equatable, Sendable {
        /// The file carries a seal and every byte matches it.
        case verified
        /// The file carries no seal (written by another tool or an older Vigil).
        case unsealed
    }

    /// Verifies the seal of the file at `path` without parsing it as HDF5. Throws `FileError.checksumMismatch`
    /// naming the damaged dataset (from the damage map) or the damaged metadata, or `implausibleSize` when the file
    /// is truncated or extended.
    public static func verify(path: String) throws -> Status {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw FileError.system(operation: "opening", path: path, errno: errno) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw FileError.system(operation: "inspecting", path: path, errno: errno) }
        let fileSize = Int(st.st_size)
        /// Reads `count` bytes at `offset` (count already checked against the file size).
        func read(_ offset: Int, _ count: Int) throws -> [UInt8] {
            var out = [UInt8](repeating: 0, count: count)
            var done = 0
            while done < count {
                let n = out.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + done, count - done, off_t(offset + done)) }
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { throw FileError.system(operation: "reading", path: path, errno: n < 0 ? errno : EIO) }
                done += n
            }
            return out
        }
        /// sha256 of `count` bytes at `offset`, streamed in 1 MiB chunks.
        func hash(_ offset: Int, _ count: Int) throws -> String {
            var h = SHA256Hasher()
            var at = offset
            while at < offset + count {
                let n = min(1 << 20, offset + count - at)
                h.update(try read(at, n))
                at += n
            }
            return h.finalizeHex()
        }
        let magicBytes = Array(magic.utf8)
        guard fileSize >= userBlockSize else { return .unsealed }
        let block = try read(0, userBlockSize)
        guard Array(block[0..<magicBytes.count]) == magicBytes else { return .unsealed }
        var fields: [String: String] = [:]
        for line in String(decoding: block[magicBytes.count...].prefix { $0 != 0 }, as: UTF8.self).split(separator: "\n") {
            let parts = line.split(separator: " ", maxSplits: 1).map(String.init)
            if parts.count == 2 { fields[parts[0]] = parts[1] }
        }
        guard let bodySize = fields["body_size"].flatMap({ Int($0) }), let bodySHA = fields["body_sha256"],
              let mapSize = fields["map_size"].flatMap({ Int($0) }), let mapSHA = fields["map_sha256"],
              bodySize >= 0, mapSize >= 0, bodySHA.count == 64, mapSHA.count == 64 else {
            throw FileError.checksumMismatch(path: path, object: "the seal header (first 512 bytes)", expected: "a valid seal", actual: "damaged")
        }
        let total = userBlockSize.addingReportingOverflow(bodySize)
        guard !total.overflow,
              !total.partialValue.addingReportingOverflow(mapSize).overflow, total.partialValue + mapSize == fileSize else {
            throw FileError.implausibleSize(path: path, object: "the sealed file",
                                            reason: "its size differs from the size it was sealed with (\(fileSize) bytes, sealed \(userBlockSize) + \(bodySize) + \(mapSize)): it was truncated, extended or rewritten by another tool")
        }
        let bodyEnd = total.partialValue
        let actual = try hash(userBlockSize, bodySize)
        if actual == bodySHA { return .verified }
        // Name the damage: a checksummed dataset's raw bytes, if the (separately checksummed) map says so.
        let map = mapSize <= 16 << 20 ? try read(bodyEnd, mapSize) : []
        if !map.isEmpty, SHA256Hasher.hex(of: map) == mapSHA, let extents = try? JSONDecoder().decode([Extent].self, from: Data(map)) {
            for e in extents {
                guard e.offset >= userBlockSize, e.length >= 0, e.offset <= bodyEnd, e.length <= bodyEnd - e.offset else { continue }
                let h = try hash(e.offset, e.length)
                if h != e.sha256 { throw FileError.checksumMismatch(path: path, object: e.name, expected: e.sha256, actual: h) }
            }
            throw FileError.checksumMismatch(path: path, object: "its HDF5 metadata (structure, attributes or names)", expected: bodySHA, actual: actual)
        }
        throw FileError.checksumMismatch(path: path, object: "the file body", expected: bodySHA, actual: actual)
    }
}

extension HDF5File {
    /// Records where the raw bytes of the just-written checksummed dataset `path` lie (contiguous layout).
    func recordExtent<T: HDF5Scalar>(_ values: [T], path: String) throws {
        guard sealed, !values.isEmpty else { return }
        let offset: haddr_t = try withHDF5 { try withDataset(path) { H5Dget_offset($0) } }
        guard offset != haddr_t.max else { _ = withHDF5 { drainErrorStack() }; return }
        let length = values.count * MemoryLayout<T>.stride
        let sha = values.withUnsafeBytes { SHA256Hasher.hex(of: $0) }
        // H5Dget_offset is the absolute file offset (the user block included), checked by HDF5SafetyTests.
        extents.append(HDF5Seal.Extent(name: HDF5File.normalize(path), offset: Int(offset), length: length, sha256: sha))
    }
}
