// Per-dataset and per-attribute SHA-256 checksums: model files and caches store one for every array and for their
// configuration, and refuse to load anything that does not match, naming the file and the damaged object.
import CHDF5
import Foundation
import VigilIO

#if _endian(big)
#error("HDF5 checksums hash the in-memory values as their little-endian bytes: add a byte-swapping path for big-endian hosts")
#endif

extension HDF5File {
    /// Name of the attribute holding a dataset's checksum.
    public static let checksumAttribute = "sha256"

    /// Suffix of the attribute holding the checksum of a checksummed attribute: `<name>_sha256`.
    public static let attributeChecksumSuffix = "_sha256"

    /// Canonical checksum of an array: SHA-256 of the line `vigil-hdf5-sha256-v1 <kind> <d0>,<d1>,…\n` followed by
    /// the values' little-endian bytes in row-major order (kind: float32, float64, int32, int64, uint8). Shape and
    /// element type are covered, so a damaged dataspace or datatype is caught as well as damaged values.
    public static func checksum<T: HDF5Scalar>(_ values: [T], shape: [Int]) -> String {
        var h = SHA256Hasher()
        h.update(Array("vigil-hdf5-sha256-v1 \(T.hdf5Kind.rawValue) \(shape.map(String.init).joined(separator: ","))\n".utf8))
        values.withUnsafeBytes { h.update($0) }
        return h.finalizeHex()
    }

    /// Canonical checksum of a string attribute: SHA-256 of `vigil-hdf5-attribute-v1 <name>\n` + its UTF-8 bytes.
    public static func attributeChecksum(name: String, value: String) -> String {
        var h = SHA256Hasher()
        h.update(Array("vigil-hdf5-attribute-v1 \(name)\n".utf8))
        h.update(Array(value.utf8))
        return h.finalizeHex()
    }

    /// Writes the dataset (as `write(_:shape:to:)`) and its checksum as the string attribute `sha256` on it.
    public func writeChecksummed<T: HDF5Scalar>(_ values: [T], shape: [Int], to path: String) throws {
        try write(values, shape: shape, to: path)
        try setAttribute(Self.checksumAttribute, string: Self.checksum(values, shape: shape), at: path)
        try recordExtent(values, path: path)
    }

    /// Reads a dataset written by `writeChecksummed` as `T`, after verifying its stored checksum over the values in
    /// their stored type. Throws `FileError.checksumMismatch` (naming file and dataset) on a mismatch and
    /// `HDF5Error.missingChecksum` when there is no checksum.
    public func readVerified<T: HDF5Scalar>(_ type: T.Type, from path: String) throws -> (values: [T], shape: [Int]) {
        try withHDF5 {
            guard hasAttribute(Self.checksumAttribute, at: path) else {
                _ = try shape(of: path)   // a missing dataset is reported as such
                throw HDF5Error.missingChecksum(file: self.path, path: path)
            }
            let expected = try stringAttribute(Self.checksumAttribute, at: path)
            return try withDataset(path) { dset in
                let info = try numericInfo(dset, path, expected: T.hdf5Kind.rawValue)
                guard let kind = info.kind else {
                    throw FileError.checksumMismatch(path: self.path, object: path, expected: expected, actual: "(unsupported stored type)")
                }
                func verify<S: HDF5Scalar>(_ s: S.Type) throws -> [T] {
                    let stored = try readValues(dset, S.self, count: info.count, path)
                    let actual = Self.checksum(stored, shape: info.shape)
                    guard actual == expected else {
                        throw FileError.checksumMismatch(path: self.path, object: path, expected: expected, actual: actual)
                    }
                    if let same = stored as? [T] { return same }
                    return try readValues(dset, T.self, count: info.count, path)
                }
                let values: [T]
                switch kind {
                case .float32: values = try verify(Float.self)
                case .float64: values = try verify(Double.self)
                case .int32: values = try verify(Int32.self)
                case .int64: values = try verify(Int64.self)
                case .uint8: values = try verify(UInt8.self)
                }
                return (values, info.shape)
            }
        }
    }

    /// Sets a string attribute and its checksum attribute `<name>_sha256`.
    public func setChecksummedAttribute(_ name: String, string: String, at: String = "/") throws {
        try setAttribute(name, string: string, at: at)
        try setAttribute(name + Self.attributeChecksumSuffix, string: Self.attributeChecksum(name: name, value: string), at: at)
    }

    /// Reads a string attribute written by `setChecksummedAttribute`, verifying its checksum.
    public func verifiedStringAttribute(_ name: String, at: String = "/") throws -> String {
        let value = try stringAttribute(name, at: at)
        guard hasAttribute(name + Self.attributeChecksumSuffix, at: at) else {
            throw HDF5Error.missingChecksum(file: path, path: "\(at)@\(name)")
        }
        let expected = try stringAttribute(name + Self.attributeChecksumSuffix, at: at)
        let actual = Self.attributeChecksum(name: name, value: value)
        guard actual == expected else {
            throw FileError.checksumMismatch(path: path, object: "attribute \(at)@\(name)", expected: expected, actual: actual)
        }
        return value
    }
}

/// A value kept in one HDF5 group; conforming gives whole-file `save(to:)` and `init(contentsOf:)` for free.
public protocol HDF5Storable {
    /// Group used by `save(to:)` and `init(contentsOf:)`.
    static var hdf5Group: String { get }
    /// Writes the value under `group` of an open file.
    func write(to file: HDF5File, group: String) throws
    /// Reads a value written by `write(to:group:)`.
    init(from file: HDF5File, group: String) throws
}

extension HDF5Storable {
    /// Writes the value to a new HDF5 file at `path` atomically (`HDF5File.write(to:)`), group `hdf5Group`.
    public func save(to path: String) throws {
        try HDF5File.write(to: path) { f in try write(to: f, group: Self.hdf5Group) }
    }

    /// Reads a value from the sealed HDF5 file at `path` (`HDF5File.openSealed`), group `hdf5Group`.
    public init(contentsOf path: String) throws {
        let f = try HDF5File.openSealed(path)
        try self.init(from: f, group: Self.hdf5Group)
        try f.close()
    }
}
