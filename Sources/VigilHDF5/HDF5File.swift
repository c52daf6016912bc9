// VigilHDF5 — a small, typed wrapper over the HDF5 C library (serial build, 1.10+).
//
// Every call into libhdf5 goes through one process-wide recursive lock: the Debian serial build is not
// thread-safe, and checkpoints/caches may be written from concurrent tasks.
import CHDF5
import Foundation

// MARK: - Library setup

/// One-time library initialisation: open the library and silence HDF5's own error printing
/// (failures surface as `HDF5Error` instead).
private let hdf5Initialized: Bool = {
    _ = H5open()
    _ = H5Eset_auto2(hid_t(H5E_DEFAULT), nil, nil)
    return true
}()

private let hdf5Lock = NSRecursiveLock()

/// Runs `body` holding the global HDF5 lock, after making sure the library is initialised.
@inline(__always)
private func withHDF5<R>(_ body: () throws -> R) rethrows -> R {
    _ = hdf5Initialized
    hdf5Lock.lock()
    defer { hdf5Lock.unlock() }
    return try body()
}

private let H5P_DEFAULT_ID = hid_t(H5P_DEFAULT)
private let H5S_ALL_ID: hid_t = 0
// H5F_ACC_* are function-like macros in the C headers; these are their documented values.
private let H5F_ACC_RDONLY_FLAG: UInt32 = 0x0000
private let H5F_ACC_RDWR_FLAG: UInt32 = 0x0001
private let H5F_ACC_TRUNC_FLAG: UInt32 = 0x0002

// MARK: - Scalars

/// The numeric element kinds VigilHDF5 stores; each maps to one native HDF5 type.
public enum HDF5ScalarKind: String, Sendable {
    case float32, float64, int32, int64, uint8

    /// The HDF5 native memory type id for this kind (valid after library initialisation).
    var nativeType: hid_t {
        _ = hdf5Initialized
        switch self {
        case .float32: return H5T_NATIVE_FLOAT_g
        case .float64: return H5T_NATIVE_DOUBLE_g
        case .int32: return H5T_NATIVE_INT32_g
        case .int64: return H5T_NATIVE_INT64_g
        case .uint8: return H5T_NATIVE_UINT8_g
        }
    }
}

/// An element type that can be written to / read from an HDF5 dataset (Float, Double, Int32, Int64, UInt8).
public protocol HDF5Scalar {
    /// The native HDF5 type this Swift type maps to (H5T_NATIVE_FLOAT, …).
    static var hdf5Kind: HDF5ScalarKind { get }
    /// The zero value, used to size read buffers.
    static var hdf5Zero: Self { get }
}

extension Float: HDF5Scalar {
    public static var hdf5Kind: HDF5ScalarKind { .float32 }
    public static var hdf5Zero: Float { 0 }
}
extension Double: HDF5Scalar {
    public static var hdf5Kind: HDF5ScalarKind { .float64 }
    public static var hdf5Zero: Double { 0 }
}
extension Int32: HDF5Scalar {
    public static var hdf5Kind: HDF5ScalarKind { .int32 }
    public static var hdf5Zero: Int32 { 0 }
}
extension Int64: HDF5Scalar {
    public static var hdf5Kind: HDF5ScalarKind { .int64 }
    public static var hdf5Zero: Int64 { 0 }
}
extension UInt8: HDF5Scalar {
    public static var hdf5Kind: HDF5ScalarKind { .uint8 }
    public static var hdf5Zero: UInt8 { 0 }
}

// MARK: - Errors

/// Failures of HDF5 operations, each naming the file and the object involved.
public enum HDF5Error: Error, CustomStringConvertible, Equatable {
    /// The file could not be opened or created (missing, not HDF5, permissions).
    case cannotOpen(file: String, mode: String)
    /// No dataset, group or attribute exists at `path` inside `file`.
    case notFound(file: String, path: String)
    /// The object exists but is not of the expected kind (e.g. a group where a dataset was expected).
    case wrongKind(file: String, path: String, expected: String)
    /// `values.count` does not equal the product of `shape`.
    case shapeMismatch(file: String, path: String, shape: [Int], count: Int)
    /// The stored type cannot be converted to the requested one (e.g. a string read as a number).
    case typeMismatch(file: String, path: String, expected: String)
    /// An HDF5 call failed.
    case operationFailed(file: String, path: String, operation: String)
    /// A write was attempted on a file opened read-only, or the file was already closed.
    case notWritable(file: String)
    /// The file handle was used after `close()`.
    case closed(file: String)

    public var description: String {
        switch self {
        case let .cannotOpen(file, mode):
            return "HDF5: cannot open '\(file)' (\(mode)): check the path exists and is an HDF5 file you may access"
        case let .notFound(file, path):
            return "HDF5: '\(path)' not found in '\(file)'"
        case let .wrongKind(file, path, expected):
            return "HDF5: '\(path)' in '\(file)' is not a \(expected)"
        case let .shapeMismatch(file, path, shape, count):
            return "HDF5: writing '\(path)' to '\(file)': shape \(shape) holds \(shape.reduce(1, *)) values but \(count) were given"
        case let .typeMismatch(file, path, expected):
            return "HDF5: '\(path)' in '\(file)' cannot be read as \(expected)"
        case let .operationFailed(file, path, operation):
            return "HDF5: \(operation) failed for '\(path)' in '\(file)'"
        case let .notWritable(file):
            return "HDF5: '\(file)' is open read-only; open it with .readWrite or .truncate to write"
        case let .closed(file):
            return "HDF5: '\(file)' was already closed"
        }
    }
}

// MARK: - File

/// An open HDF5 file; datasets are addressed by slash paths ("a/b.c/weight"), intermediate groups are created
/// on write. Closed on `close()` or deinit. Not meant to be shared across threads (calls are serialised anyway).
public final class HDF5File {
    /// How to open a file.
    public enum Mode: Sendable {
        /// Open an existing file for reading.
        case readOnly
        /// Open an existing file for reading and writing (created if missing).
        case readWrite
        /// Create the file, replacing any existing one.
        case truncate
    }

    /// The path the file was opened with.
    public let path: String
    /// The mode the file was opened with.
    public let mode: Mode
    private var fileID: hid_t

    /// Opens or creates `path` according to `mode`.
    public init(path: String, mode: Mode) throws {
        self.path = path
        self.mode = mode
        let id: hid_t = withHDF5 {
            switch mode {
            case .readOnly:
                return H5Fopen(path, H5F_ACC_RDONLY_FLAG, H5P_DEFAULT_ID)
            case .readWrite:
                if FileManager.default.fileExists(atPath: path) {
                    return H5Fopen(path, H5F_ACC_RDWR_FLAG, H5P_DEFAULT_ID)
                }
                return H5Fcreate(path, H5F_ACC_TRUNC_FLAG, H5P_DEFAULT_ID, H5P_DEFAULT_ID)
            case .truncate:
                return H5Fcreate(path, H5F_ACC_TRUNC_FLAG, H5P_DEFAULT_ID, H5P_DEFAULT_ID)
            }
        }
        guard id >= 0 else { throw HDF5Error.cannotOpen(file: path, mode: "\(mode)") }
        self.fileID = id
    }

    deinit { close() }

    /// Flushes and closes the file; later calls on this object throw `HDF5Error.closed`.
    public func close() {
        withHDF5 {
            if fileID >= 0 {
                _ = H5Fclose(fileID)
                fileID = -1
            }
        }
    }

    /// Writes buffered data to disk without closing.
    public func flush() throws {
        try withHDF5 {
            let fid = try openID()
            guard H5Fflush(fid, H5F_SCOPE_GLOBAL) >= 0 else {
                throw HDF5Error.operationFailed(file: path, path: "/", operation: "flush")
            }
        }
    }

    // MARK: Datasets

    /// Writes `values` (row-major, C order) with `shape` to the dataset at `path`, creating intermediate
    /// groups and replacing an existing dataset. An empty `shape` stores a scalar (one value).
    public func write<T: HDF5Scalar>(_ values: [T], shape: [Int], to path: String) throws {
        try withHDF5 {
            let fid = try writableID()
            let name = Self.normalize(path)
            guard name != "/" else { throw HDF5Error.wrongKind(file: self.path, path: path, expected: "dataset path") }
            let expected = shape.reduce(1, *)
            guard shape.allSatisfy({ $0 >= 0 }), expected == values.count else {
                throw HDF5Error.shapeMismatch(file: self.path, path: path, shape: shape, count: values.count)
            }
            if try linkExists(name) {
                guard H5Ldelete(fid, name, H5P_DEFAULT_ID) >= 0 else {
                    throw HDF5Error.operationFailed(file: self.path, path: path, operation: "replacing dataset")
                }
            }
            let space: hid_t
            if shape.isEmpty {
                space = H5Screate(H5S_SCALAR)
            } else {
                let dims = shape.map { hsize_t($0) }
                space = H5Screate_simple(Int32(dims.count), dims, nil)
            }
            guard space >= 0 else { throw HDF5Error.operationFailed(file: self.path, path: path, operation: "creating dataspace") }
            defer { H5Sclose(space) }
            let lcpl = H5Pcreate(H5P_CLS_LINK_CREATE_ID_g)
            guard lcpl >= 0 else { throw HDF5Error.operationFailed(file: self.path, path: path, operation: "creating link property list") }
            defer { H5Pclose(lcpl) }
            _ = H5Pset_create_intermediate_group(lcpl, 1)
            let type = T.hdf5Kind.nativeType
            let dset = H5Dcreate2(fid, name, type, space, lcpl, H5P_DEFAULT_ID, H5P_DEFAULT_ID)
            guard dset >= 0 else {
                throw HDF5Error.operationFailed(file: self.path, path: path, operation: "creating dataset (is a parent a dataset?)")
            }
            defer { H5Dclose(dset) }
            if values.isEmpty { return }
            let status = values.withUnsafeBufferPointer { buf in
                H5Dwrite(dset, type, H5S_ALL_ID, H5S_ALL_ID, H5P_DEFAULT_ID, buf.baseAddress)
            }
            guard status >= 0 else { throw HDF5Error.operationFailed(file: self.path, path: path, operation: "writing dataset") }
        }
    }

    /// Reads the dataset at `path` as `T` (HDF5 converts from the stored numeric type), returning the values in
    /// row-major order and the shape (`[]` for a scalar).
    public func read<T: HDF5Scalar>(_ type: T.Type, from path: String) throws -> (values: [T], shape: [Int]) {
        try withHDF5 {
            let dset = try openDataset(path)
            defer { H5Dclose(dset) }
            let storedType = H5Dget_type(dset)
            defer { if storedType >= 0 { H5Tclose(storedType) } }
            let cls = H5Tget_class(storedType)
            guard cls == H5T_INTEGER || cls == H5T_FLOAT else {
                throw HDF5Error.typeMismatch(file: self.path, path: path, expected: "\(T.hdf5Kind.rawValue) (stored type is not numeric)")
            }
            let space = H5Dget_space(dset)
            guard space >= 0 else { throw HDF5Error.operationFailed(file: self.path, path: path, operation: "reading dataspace") }
            defer { H5Sclose(space) }
            let rank = Int(H5Sget_simple_extent_ndims(space))
            guard rank >= 0 else { throw HDF5Error.operationFailed(file: self.path, path: path, operation: "reading rank") }
            var dims = [hsize_t](repeating: 0, count: rank)
            if rank > 0 {
                guard H5Sget_simple_extent_dims(space, &dims, nil) >= 0 else {
                    throw HDF5Error.operationFailed(file: self.path, path: path, operation: "reading shape")
                }
            }
            let shape = dims.map { Int($0) }
            let count = shape.reduce(1, *)
            var values = [T](repeating: T.hdf5Zero, count: count)
            if count == 0 { return (values, shape) }
            let status = values.withUnsafeMutableBufferPointer { buf in
                H5Dread(dset, T.hdf5Kind.nativeType, H5S_ALL_ID, H5S_ALL_ID, H5P_DEFAULT_ID, buf.baseAddress)
            }
            guard status >= 0 else {
                throw HDF5Error.typeMismatch(file: self.path, path: path, expected: T.hdf5Kind.rawValue)
            }
            return (values, shape)
        }
    }

    /// The shape of the dataset at `path` without reading its values.
    public func shape(of path: String) throws -> [Int] {
        try withHDF5 {
            let dset = try openDataset(path)
            defer { H5Dclose(dset) }
            let space = H5Dget_space(dset)
            guard space >= 0 else { throw HDF5Error.operationFailed(file: self.path, path: path, operation: "reading dataspace") }
            defer { H5Sclose(space) }
            let rank = Int(H5Sget_simple_extent_ndims(space))
            var dims = [hsize_t](repeating: 0, count: max(rank, 0))
            if rank > 0 { _ = H5Sget_simple_extent_dims(space, &dims, nil) }
            return dims.map { Int($0) }
        }
    }

    /// True when a group or dataset exists at `path` ("/" always exists).
    public func contains(_ path: String) -> Bool {
        (try? withHDF5 { try linkExists(Self.normalize(path)) }) ?? false
    }

    /// Paths (relative to `group`, slash-separated, sorted) of every dataset below `group`, recursively.
    public func datasetNames(in group: String = "/") throws -> [String] {
        try withHDF5 {
            let fid = try openID()
            let name = Self.normalize(group)
            guard try linkExists(name) else { throw HDF5Error.notFound(file: self.path, path: group) }
            let gid = H5Oopen(fid, name, H5P_DEFAULT_ID)
            guard gid >= 0 else { throw HDF5Error.notFound(file: self.path, path: group) }
            defer { H5Oclose(gid) }
            guard H5Iget_type(gid) == H5I_GROUP else { throw HDF5Error.wrongKind(file: self.path, path: group, expected: "group") }
            var out: [String] = []
            try collectDatasets(group: gid, prefix: "", into: &out)
            return out.sorted()
        }
    }

    /// Paths (relative to `group`, sorted) of the direct child groups of `group`.
    public func groupNames(in group: String = "/") throws -> [String] {
        try withHDF5 {
            let fid = try openID()
            let name = Self.normalize(group)
            guard try linkExists(name) else { throw HDF5Error.notFound(file: self.path, path: group) }
            let gid = H5Oopen(fid, name, H5P_DEFAULT_ID)
            guard gid >= 0, H5Iget_type(gid) == H5I_GROUP else {
                if gid >= 0 { H5Oclose(gid) }
                throw HDF5Error.wrongKind(file: self.path, path: group, expected: "group")
            }
            defer { H5Oclose(gid) }
            return try children(of: gid).filter { $0.isGroup }.map(\.name).sorted()
        }
    }

    // MARK: Attributes

    /// Sets (or replaces) a UTF-8 string attribute `name` on the group or dataset at `at`.
    public func setAttribute(_ name: String, string: String, at: String = "/") throws {
        try withHDF5 {
            let strType = H5Tcopy(H5T_C_S1_g)
            guard strType >= 0 else { throw HDF5Error.operationFailed(file: path, path: at, operation: "creating string type") }
            defer { H5Tclose(strType) }
            _ = H5Tset_size(strType, -1)  // H5T_VARIABLE
            _ = H5Tset_cset(strType, H5T_CSET_UTF8)
            try writeAttribute(name, at: at, type: strType) { attr in
                string.withCString { cstr in
                    var ptr: UnsafePointer<CChar>? = cstr
                    return H5Awrite(attr, strType, &ptr)
                }
            }
        }
    }

    /// Sets a fixed-length, null-padded ASCII string attribute (the layout NumPy `np.bytes_` attributes use);
    /// internal, so tests can check that `stringAttribute` reads files written by h5py.
    func setFixedLengthStringAttribute(_ name: String, string: String, at: String = "/") throws {
        try withHDF5 {
            let bytes = Array(string.utf8)
            let strType = H5Tcopy(H5T_C_S1_g)
            defer { H5Tclose(strType) }
            _ = H5Tset_size(strType, max(bytes.count, 1))
            _ = H5Tset_strpad(strType, H5T_STR_NULLPAD)
            try writeAttribute(name, at: at, type: strType) { attr in
                var buf = bytes.isEmpty ? [0] : bytes
                return H5Awrite(attr, strType, &buf)
            }
        }
    }

    /// Sets (or replaces) a 64-bit float attribute `name` on the group or dataset at `at`.
    public func setAttribute(_ name: String, double: Double, at: String = "/") throws {
        try withHDF5 {
            try writeAttribute(name, at: at, type: H5T_NATIVE_DOUBLE_g) { attr in
                var v = double
                return H5Awrite(attr, H5T_NATIVE_DOUBLE_g, &v)
            }
        }
    }

    /// Sets (or replaces) a 64-bit integer attribute `name` on the group or dataset at `at`.
    public func setAttribute(_ name: String, int: Int, at: String = "/") throws {
        try withHDF5 {
            try writeAttribute(name, at: at, type: H5T_NATIVE_INT64_g) { attr in
                var v = Int64(int)
                return H5Awrite(attr, H5T_NATIVE_INT64_g, &v)
            }
        }
    }

    /// Reads the string attribute `name` of the object at `at` (variable- or fixed-length strings).
    public func stringAttribute(_ name: String, at: String = "/") throws -> String {
        try withHDF5 {
            try readAttribute(name, at: at) { attr in
                let ftype = H5Aget_type(attr)
                guard ftype >= 0 else { throw HDF5Error.operationFailed(file: path, path: "\(at)@\(name)", operation: "reading attribute type") }
                defer { H5Tclose(ftype) }
                guard H5Tget_class(ftype) == H5T_STRING else {
                    throw HDF5Error.typeMismatch(file: path, path: "\(at)@\(name)", expected: "string")
                }
                let memType = H5Tcopy(H5T_C_S1_g)
                defer { H5Tclose(memType) }
                if H5Tis_variable_str(ftype) > 0 {
                    _ = H5Tset_size(memType, -1)
                    _ = H5Tset_cset(memType, H5Tget_cset(ftype))
                    var ptr: UnsafeMutablePointer<CChar>? = nil
                    guard H5Aread(attr, memType, &ptr) >= 0 else {
                        throw HDF5Error.operationFailed(file: path, path: "\(at)@\(name)", operation: "reading attribute")
                    }
                    defer { if let p = ptr { H5free_memory(p) } }
                    return ptr.map { String(cString: $0) } ?? ""
                } else {
                    // One extra byte: the memory type is null-terminated, the stored one may be null-padded.
                    let size = H5Tget_size(ftype) + 1
                    _ = H5Tset_size(memType, size)
                    var buf = [CChar](repeating: 0, count: size + 1)
                    guard H5Aread(attr, memType, &buf) >= 0 else {
                        throw HDF5Error.operationFailed(file: path, path: "\(at)@\(name)", operation: "reading attribute")
                    }
                    return String(cString: buf)
                }
            }
        }
    }

    /// Reads the numeric attribute `name` of the object at `at` as a Double.
    public func doubleAttribute(_ name: String, at: String = "/") throws -> Double {
        try withHDF5 {
            try readAttribute(name, at: at) { attr in
                try checkNumeric(attr, name: name, at: at, expected: "double")
                var v = 0.0
                guard H5Aread(attr, H5T_NATIVE_DOUBLE_g, &v) >= 0 else {
                    throw HDF5Error.typeMismatch(file: path, path: "\(at)@\(name)", expected: "double")
                }
                return v
            }
        }
    }

    /// Reads the numeric attribute `name` of the object at `at` as an Int.
    public func intAttribute(_ name: String, at: String = "/") throws -> Int {
        try withHDF5 {
            try readAttribute(name, at: at) { attr in
                try checkNumeric(attr, name: name, at: at, expected: "int")
                var v: Int64 = 0
                guard H5Aread(attr, H5T_NATIVE_INT64_g, &v) >= 0 else {
                    throw HDF5Error.typeMismatch(file: path, path: "\(at)@\(name)", expected: "int")
                }
                return Int(v)
            }
        }
    }

    /// True when the object at `at` exists and has an attribute `name`.
    public func hasAttribute(_ name: String, at: String = "/") -> Bool {
        (try? withHDF5 {
            let fid = try openID()
            let obj = Self.normalize(at)
            guard try linkExists(obj) else { return false }
            return H5Aexists_by_name(fid, obj, name, H5P_DEFAULT_ID) > 0
        }) ?? false
    }

    // MARK: - Internals (called with the lock held)

    private func openID() throws -> hid_t {
        guard fileID >= 0 else { throw HDF5Error.closed(file: path) }
        return fileID
    }

    private func writableID() throws -> hid_t {
        let fid = try openID()
        guard mode != .readOnly else { throw HDF5Error.notWritable(file: path) }
        return fid
    }

    /// "a/b" → "/a/b"; "" and "/" → "/"; repeated and trailing slashes removed.
    static func normalize(_ path: String) -> String {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true)
        return "/" + parts.joined(separator: "/")
    }

    /// Checks each component in turn (H5Lexists fails on a missing intermediate).
    private func linkExists(_ normalized: String) throws -> Bool {
        let fid = try openID()
        if normalized == "/" { return true }
        var prefix = ""
        for part in normalized.split(separator: "/") {
            prefix += "/" + part
            if H5Lexists(fid, prefix, H5P_DEFAULT_ID) <= 0 { return false }
        }
        return H5Oexists_by_name(fid, normalized, H5P_DEFAULT_ID) > 0
    }

    private func openDataset(_ path: String) throws -> hid_t {
        let fid = try openID()
        let name = Self.normalize(path)
        guard name != "/", try linkExists(name) else { throw HDF5Error.notFound(file: self.path, path: path) }
        let obj = H5Oopen(fid, name, H5P_DEFAULT_ID)
        guard obj >= 0 else { throw HDF5Error.notFound(file: self.path, path: path) }
        guard H5Iget_type(obj) == H5I_DATASET else {
            H5Oclose(obj)
            throw HDF5Error.wrongKind(file: self.path, path: path, expected: "dataset")
        }
        return obj
    }

    private struct Child { let name: String; let isGroup: Bool; let isDataset: Bool }

    private func children(of gid: hid_t) throws -> [Child] {
        var info = H5G_info_t()
        guard H5Gget_info(gid, &info) >= 0 else {
            throw HDF5Error.operationFailed(file: path, path: "", operation: "listing group")
        }
        var out: [Child] = []
        for i in 0..<info.nlinks {
            let len = H5Lget_name_by_idx(gid, ".", H5_INDEX_NAME, H5_ITER_INC, i, nil, 0, H5P_DEFAULT_ID)
            guard len >= 0 else { continue }
            var buf = [CChar](repeating: 0, count: Int(len) + 1)
            _ = H5Lget_name_by_idx(gid, ".", H5_INDEX_NAME, H5_ITER_INC, i, &buf, Int(len) + 1, H5P_DEFAULT_ID)
            let childName = String(cString: buf)
            let obj = H5Oopen(gid, childName, H5P_DEFAULT_ID)
            guard obj >= 0 else { continue }  // dangling soft/external link
            let t = H5Iget_type(obj)
            H5Oclose(obj)
            out.append(Child(name: childName, isGroup: t == H5I_GROUP, isDataset: t == H5I_DATASET))
        }
        return out
    }

    private func collectDatasets(group gid: hid_t, prefix: String, into out: inout [String]) throws {
        for child in try children(of: gid) {
            let full = prefix.isEmpty ? child.name : prefix + "/" + child.name
            if child.isDataset {
                out.append(full)
            } else if child.isGroup {
                let sub = H5Gopen2(gid, child.name, H5P_DEFAULT_ID)
                guard sub >= 0 else { continue }
                defer { H5Gclose(sub) }
                try collectDatasets(group: sub, prefix: full, into: &out)
            }
        }
    }

    private func writeAttribute(_ name: String, at: String, type: hid_t, _ write: (hid_t) -> herr_t) throws {
        let fid = try writableID()
        let obj = Self.normalize(at)
        guard try linkExists(obj) else { throw HDF5Error.notFound(file: path, path: at) }
        let oid = H5Oopen(fid, obj, H5P_DEFAULT_ID)
        guard oid >= 0 else { throw HDF5Error.notFound(file: path, path: at) }
        defer { H5Oclose(oid) }
        if H5Aexists(oid, name) > 0 {
            guard H5Adelete(oid, name) >= 0 else {
                throw HDF5Error.operationFailed(file: path, path: "\(at)@\(name)", operation: "replacing attribute")
            }
        }
        let space = H5Screate(H5S_SCALAR)
        defer { H5Sclose(space) }
        let attr = H5Acreate2(oid, name, type, space, H5P_DEFAULT_ID, H5P_DEFAULT_ID)
        guard attr >= 0 else { throw HDF5Error.operationFailed(file: path, path: "\(at)@\(name)", operation: "creating attribute") }
        defer { H5Aclose(attr) }
        guard write(attr) >= 0 else { throw HDF5Error.operationFailed(file: path, path: "\(at)@\(name)", operation: "writing attribute") }
    }

    private func readAttribute<R>(_ name: String, at: String, _ read: (hid_t) throws -> R) throws -> R {
        let fid = try openID()
        let obj = Self.normalize(at)
        guard try linkExists(obj) else { throw HDF5Error.notFound(file: path, path: at) }
        guard H5Aexists_by_name(fid, obj, name, H5P_DEFAULT_ID) > 0 else {
            throw HDF5Error.notFound(file: path, path: "\(at)@\(name)")
        }
        let attr = H5Aopen_by_name(fid, obj, name, H5P_DEFAULT_ID, H5P_DEFAULT_ID)
        guard attr >= 0 else { throw HDF5Error.notFound(file: path, path: "\(at)@\(name)") }
        defer { H5Aclose(attr) }
        return try read(attr)
    }

    private func checkNumeric(_ attr: hid_t, name: String, at: String, expected: String) throws {
        let t = H5Aget_type(attr)
        defer { if t >= 0 { H5Tclose(t) } }
        let cls = H5Tget_class(t)
        guard cls == H5T_INTEGER || cls == H5T_FLOAT else {
            throw HDF5Error.typeMismatch(file: path, path: "\(at)@\(name)", expected: expected)
        }
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
    /// Writes the value to a new HDF5 file at `path` (overwrites), group `hdf5Group`.
    public func save(to path: String) throws {
        let f = try HDF5File(path: path, mode: .truncate)
        defer { f.close() }
        try write(to: f, group: Self.hdf5Group)
    }

    /// Reads a value from the HDF5 file at `path`, group `hdf5Group`.
    public init(contentsOf path: String) throws {
        let f = try HDF5File(path: path, mode: .readOnly)
        defer { f.close() }
        try self.init(from: f, group: Self.hdf5Group)
    }
}
