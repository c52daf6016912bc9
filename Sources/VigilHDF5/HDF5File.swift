// VigilHDF5 — a small, typed wrapper over the HDF5 C library (serial build, 1.10+).
//
// Every call into libhdf5 goes through one process-wide recursive lock: the Debian serial build is not
// thread-safe, and checkpoints/caches may be written from concurrent tasks. Every call's status is checked; a
// failure becomes an `HDF5Error` carrying HDF5's own message (HDF5Errors.swift). Sizes read from a file are checked
// before anything is allocated.
import CHDF5
import Foundation
import VigilIO

// MARK: - Library setup

/// One-time library initialisation: open the library and silence HDF5's own error printing
/// (failures surface as `HDF5Error` with the error stack's messages instead).
private let hdf5Initialized: Bool = {
    // No library teardown at exit: after a failed H5Fclose (e.g. a full disk when writing with the non-atomic
    // .truncate mode) HDF5's exit handler dereferences the half-closed file and crashes the process.
    _ = H5dont_atexit()
    _ = H5open()
    _ = H5Eset_auto2(hid_t(0) /* H5E_DEFAULT */, nil, nil)
    return true
}()

private let hdf5Lock = NSRecursiveLock()

/// True once the library is initialised (native type ids are valid only after `H5open`).
var hdf5Ready: Bool { hdf5Initialized }

/// Runs `body` holding the global HDF5 lock, after making sure the library is initialised.
@inline(__always)
func withHDF5<R>(_ body: () throws -> R) rethrows -> R {
    _ = hdf5Initialized
    hdf5Lock.lock()
    defer { hdf5Lock.unlock() }
    return try body()
}

let H5P_DEFAULT_ID = hid_t(0)   // H5P_DEFAULT
let H5S_ALL_ID: hid_t = 0
// H5F_ACC_* are function-like macros in the C headers; these are their documented values.
private let H5F_ACC_RDONLY_FLAG: UInt32 = 0x0000
private let H5F_ACC_RDWR_FLAG: UInt32 = 0x0001
private let H5F_ACC_TRUNC_FLAG: UInt32 = 0x0002
/// Longest name or string attribute read from a file (a damaged length must not allocate gigabytes).
let hdf5MaxStringBytes = 64 << 20

// MARK: - File

/// An open HDF5 file; datasets are addressed by slash paths ("a/b.c/weight"), intermediate groups are created
/// on write. Close with `close()` (which reports a failed flush); deinit closes silently. Not meant to be shared
/// across threads (calls are serialised anyway).
///
/// Outputs are written with `HDF5File.write(to:)`, which goes through `AtomicFile` (temporary sibling, fsync,
/// rename): a crash or a full disk never leaves a half-written file at the final path.
public final class HDF5File {
    /// How to open a file.
    public enum Mode: Sendable {
        /// Open an existing file for reading.
        case readOnly
        /// Open an existing file for reading and writing (created if missing). Not atomic: tests and tools only.
        case readWrite
        /// Create the file, replacing any existing one. Not atomic: use `HDF5File.write(to:)` for outputs.
        case truncate
    }

    /// The path the file was opened with.
    public let path: String
    /// The mode the file was opened with.
    public let mode: Mode
    var fileID: hid_t
    /// Whether the file is being written with a seal (`HDF5File.write(to:)`), and its checksummed datasets' extents.
    let sealed: Bool
    var extents: [HDF5Seal.Extent] = []
    /// For files opened read-only: whether the file carried a seal that verified.
    public private(set) var sealStatus: HDF5Seal.Status = .unsealed

    /// Opens or creates `path` according to `mode`. A read-only open of a sealed file verifies the seal first and
    /// refuses a damaged file before libhdf5 reads it (`HDF5Seal.verify`).
    public convenience init(path: String, mode: Mode) throws {
        try self.init(path: path, mode: mode, sealed: false, requireSeal: false)
    }

    /// Opens a file Vigil wrote with `HDF5File.write(to:)` for reading: the seal must be present and match, so
    /// libhdf5 never parses a damaged or foreign file.
    public static func openSealed(_ path: String) throws -> HDF5File {
        try HDF5File(path: path, mode: .readOnly, sealed: false, requireSeal: true)
    }

    /// A new file held in memory (HDF5's core driver, no backing store) with the seal's user block; the disk is
    /// touched only by `write(to:)` through `AtomicFile`, so a full disk is a Swift error, never a libhdf5 failure.
    private init(memoryImageNamed name: String) throws {
        path = name
        mode = .truncate
        sealed = true
        let opened: (hid_t, String) = withHDF5 {
            let fcpl = H5Pcreate(H5P_CLS_FILE_CREATE_ID_g), fapl = H5Pcreate(H5P_CLS_FILE_ACCESS_ID_g)
            defer { if fcpl >= 0 { _ = H5Pclose(fcpl) }; if fapl >= 0 { _ = H5Pclose(fapl) } }
            guard fcpl >= 0, fapl >= 0, H5Pset_userblock(fcpl, hsize_t(HDF5Seal.userBlockSize)) >= 0,
                  H5Pset_fapl_core(fapl, 1 << 20, false) >= 0 else { return (-1, drainErrorStack()) }
            let memoryName = "vigil-memory-\(UUID().uuidString).h5"
            let id = H5Fcreate(memoryName, H5F_ACC_TRUNC_FLAG, fcpl, fapl)
            return (id, id < 0 ? drainErrorStack() : "")
        }
        guard opened.0 >= 0 else { throw HDF5Error.cannotOpen(file: name, mode: "in-memory", reason: opened.1) }
        fileID = opened.0
    }

    /// Flushes an in-memory file, returns its bytes and closes it.
    private func closeReturningImage() throws -> [UInt8] {
        try withHDF5 {
            let fid = try openID()
            try ok(H5Fflush(fid, H5F_SCOPE_GLOBAL), "flush", "/")
            let size = H5Fget_file_image(fid, nil, 0)
            guard size > 0 else { throw HDF5Error.operationFailed(file: path, path: "/", operation: "reading the file image", reason: drainErrorStack()) }
            var image = [UInt8](repeating: 0, count: size)
            let got = image.withUnsafeMutableBytes { H5Fget_file_image(fid, $0.baseAddress, size) }
            guard got == size else { throw HDF5Error.operationFailed(file: path, path: "/", operation: "reading the file image", reason: drainErrorStack()) }
            try close()
            return image
        }
    }

    private init(path: String, mode: Mode, sealed: Bool, requireSeal: Bool) throws {
        self.path = path
        self.mode = mode
        self.sealed = sealed
        if mode == .readOnly {
            guard access(path, R_OK) == 0 else {   // the system's reason is clearer than HDF5's
                throw HDF5Error.cannotOpen(file: path, mode: "\(mode)", reason: "\(FileError.systemMessage(errno))")
            }
            sealStatus = try HDF5Seal.verify(path: path)
            if requireSeal && sealStatus != .verified { throw HDF5Error.notSealed(file: path) }
        }
        let opened: (hid_t, String) = withHDF5 {
            let id: hid_t
            var fcpl = H5P_DEFAULT_ID
            if sealed {
                fcpl = H5Pcreate(H5P_CLS_FILE_CREATE_ID_g)
                if fcpl < 0 || H5Pset_userblock(fcpl, hsize_t(HDF5Seal.userBlockSize)) < 0 { return (-1, drainErrorStack()) }
            }
            defer { if sealed && fcpl >= 0 { _ = H5Pclose(fcpl) } }
            switch mode {
            case .readOnly:
                id = H5Fopen(path, H5F_ACC_RDONLY_FLAG, H5P_DEFAULT_ID)
            case .readWrite:
                if FileManager.default.fileExists(atPath: path) {
                    id = H5Fopen(path, H5F_ACC_RDWR_FLAG, H5P_DEFAULT_ID)
                } else {
                    id = H5Fcreate(path, H5F_ACC_TRUNC_FLAG, H5P_DEFAULT_ID, H5P_DEFAULT_ID)
                }
            case .truncate:
                id = H5Fcreate(path, H5F_ACC_TRUNC_FLAG, fcpl, H5P_DEFAULT_ID)
            }
            return (id, id < 0 ? drainErrorStack() : "")
        }
        guard opened.0 >= 0 else { throw HDF5Error.cannotOpen(file: path, mode: "\(mode)", reason: opened.1) }
        self.fileID = opened.0
    }

    /// Creates the HDF5 file `path` atomically and sealed: `body` fills a new file built in memory, whose bytes are
    /// sealed (`HDF5Seal`: sha256 of every byte, in the user block) and written with `AtomicFile` (temporary sibling,
    /// fsync, rename). libhdf5 never writes to the disk, so a full disk is a clean `FileError`; on any error nothing
    /// is left behind.
    public static func write(to path: String, _ body: (HDF5File) throws -> Void) throws {
        _ = try Paths.outputFile(path)   // refuse a FIFO, device or missing directory before building anything
        let f = try HDF5File(memoryImageNamed: path)
        do { try body(f) } catch {
            try? f.close()
            throw error
        }
        let image = try f.closeReturningImage()
        try AtomicFile.write(try HDF5Seal.seal(image: image, extents: f.extents, path: path), to: path)
    }

    deinit { try? close() }

    /// Flushes and closes the file; throws when HDF5 cannot write its buffers (e.g. disk full). Later calls on this
    /// object throw `HDF5Error.closed`; closing twice is allowed.
    public func close() throws {
        try withHDF5 {
            guard fileID >= 0 else { return }
            let id = fileID
            fileID = -1
            if H5Fclose(id) < 0 {
                throw HDF5Error.operationFailed(file: path, path: "/", operation: "closing (flushing) the file", reason: drainErrorStack())
            }
        }
    }

    /// Writes buffered data to disk without closing.
    public func flush() throws {
        try withHDF5 {
            try ok(H5Fflush(try openID(), H5F_SCOPE_GLOBAL), "flush", "/")
        }
    }

    // MARK: Checked calls (lock held)

    /// Throws an `operationFailed` with HDF5's message when `status` < 0.
    func ok(_ status: herr_t, _ operation: String, _ object: String) throws {
        if status < 0 { throw HDF5Error.operationFailed(file: path, path: object, operation: operation, reason: drainErrorStack()) }
    }

    /// `id` when valid, else an `operationFailed` with HDF5's message.
    func valid(_ id: hid_t, _ operation: String, _ object: String) throws -> hid_t {
        if id < 0 { throw HDF5Error.operationFailed(file: path, path: object, operation: operation, reason: drainErrorStack()) }
        return id
    }

    /// A tri-state answer (htri_t): true, false, or an error.
    func truth(_ value: htri_t, _ operation: String, _ object: String) throws -> Bool {
        if value < 0 { throw HDF5Error.operationFailed(file: path, path: object, operation: operation, reason: drainErrorStack()) }
        return value > 0
    }

    /// Runs `body` with `id`, then closes it with `close`, checking that status too (a failed close after a
    /// failed body reports the body's error).
    func using<R>(_ id: hid_t, _ close: (hid_t) -> herr_t, _ what: String, _ object: String, _ body: (hid_t) throws -> R) throws -> R {
        let r: R
        do { r = try body(id) } catch {
            if close(id) < 0 { _ = drainErrorStack() }
            throw error
        }
        try ok(close(id), "closing \(what)", object)
        return r
    }

    // MARK: Datasets

    /// Writes `values` (row-major, C order) with `shape` to the dataset at `path`, creating intermediate
    /// groups and replacing an existing dataset. An empty `shape` stores a scalar (one value).
    public func write<T: HDF5Scalar>(_ values: [T], shape: [Int], to path: String) throws {
        try withHDF5 {
            let fid = try writableID()
            let name = Self.normalize(path)
            guard name != "/" else { throw HDF5Error.wrongKind(file: self.path, path: path, expected: "dataset path") }
            guard let expected = CheckedSize.product(shape), expected == values.count else {
                throw HDF5Error.shapeMismatch(file: self.path, path: path, shape: shape, count: values.count)
            }
            if try linkExists(name) {
                try ok(H5Ldelete(fid, name, H5P_DEFAULT_ID), "replacing dataset", path)
            }
            let space = try valid(shape.isEmpty ? H5Screate(H5S_SCALAR) : H5Screate_simple(Int32(shape.count), shape.map { hsize_t($0) }, nil),
                                  "creating dataspace", path)
            try using(space, H5Sclose, "dataspace", path) { space in
                let lcpl = try valid(H5Pcreate(H5P_CLS_LINK_CREATE_ID_g), "creating link property list", path)
                try using(lcpl, H5Pclose, "property list", path) { lcpl in
                    try ok(H5Pset_create_intermediate_group(lcpl, 1), "setting intermediate group creation", path)
                    let type = T.hdf5Kind.nativeType
                    let dset = try valid(H5Dcreate2(fid, name, type, space, lcpl, H5P_DEFAULT_ID, H5P_DEFAULT_ID),
                                         "creating dataset (is a parent a dataset?)", path)
                    try using(dset, H5Dclose, "dataset", path) { dset in
                        if values.isEmpty { return }
                        let status = values.withUnsafeBufferPointer { buf in
                            H5Dwrite(dset, type, H5S_ALL_ID, H5S_ALL_ID, H5P_DEFAULT_ID, buf.baseAddress)
                        }
                        try ok(status, "writing dataset", path)
                    }
                }
            }
        }
    }

    /// Reads the dataset at `path` as `T` (HDF5 converts from the stored numeric type), returning the values in
    /// row-major order and the shape (`[]` for a scalar). The element count is checked against the bytes the file
    /// stores for it and a memory cap before anything is allocated.
    public func read<T: HDF5Scalar>(_ type: T.Type, from path: String) throws -> (values: [T], shape: [Int]) {
        try withHDF5 {
            try withDataset(path) { dset in
                let info = try numericInfo(dset, path, expected: T.hdf5Kind.rawValue)
                return (try readValues(dset, T.self, count: info.count, path), info.shape)
            }
        }
    }

    /// The shape of the dataset at `path` without reading its values.
    public func shape(of path: String) throws -> [Int] {
        try withHDF5 { try withDataset(path) { try shapeOf($0, path) } }
    }

    /// True when a group or dataset exists at `path` ("/" always exists); false also when the file cannot answer.
    public func contains(_ path: String) -> Bool {
        (try? withHDF5 { try linkExists(Self.normalize(path)) }) ?? false
    }

    /// Paths (relative to `group`, slash-separated, sorted) of every dataset below `group`, recursively.
    public func datasetNames(in group: String = "/") throws -> [String] {
        try withHDF5 {
            try withGroup(group) { gid in
                var out: [String] = []
                try collectDatasets(group: gid, prefix: "", depth: 0, into: &out)
                return out.sorted()
            }
        }
    }

    /// Paths (relative to `group`, sorted) of the direct child groups of `group`.
    public func groupNames(in group: String = "/") throws -> [String] {
        try withHDF5 {
            try withGroup(group) { gid in try children(of: gid, group).filter { $0.isGroup }.map(\.name).sorted() }
        }
    }

    // MARK: - Internals (called with the lock held)

    func openID() throws -> hid_t {
        guard fileID >= 0 else { throw HDF5Error.closed(file: path) }
        return fileID
    }

    func writableID() throws -> hid_t {
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
    func linkExists(_ normalized: String) throws -> Bool {
        let fid = try openID()
        if normalized == "/" { return true }
        var prefix = ""
        for part in normalized.split(separator: "/") {
            prefix += "/" + part
            if !(try truth(H5Lexists(fid, prefix, H5P_DEFAULT_ID), "looking up", prefix)) { return false }
        }
        return try truth(H5Oexists_by_name(fid, normalized, H5P_DEFAULT_ID), "looking up", normalized)
    }

    /// Opens the object at `path`, checks its type, runs `body`, closes it.
    private func withObject<R>(_ path: String, type: H5I_type_t, expected: String, _ body: (hid_t) throws -> R) throws -> R {
        let fid = try openID()
        let name = Self.normalize(path)
        guard try linkExists(name) else { throw HDF5Error.notFound(file: self.path, path: path) }
        let obj = try valid(H5Oopen(fid, name, H5P_DEFAULT_ID), "opening", path)
        return try using(obj, H5Oclose, "object", path) { obj in
            let t = H5Iget_type(obj)
            guard t == type else {
                if t == H5I_BADID { _ = drainErrorStack() }
                throw HDF5Error.wrongKind(file: self.path, path: path, expected: expected)
            }
            return try body(obj)
        }
    }

    func withDataset<R>(_ path: String, _ body: (hid_t) throws -> R) throws -> R {
        guard Self.normalize(path) != "/" else { throw HDF5Error.notFound(file: self.path, path: path) }
        return try withObject(path, type: H5I_DATASET, expected: "dataset", body)
    }

    private func withGroup<R>(_ path: String, _ body: (hid_t) throws -> R) throws -> R {
        try withObject(path, type: H5I_GROUP, expected: "group", body)
    }

    /// Shape of an open dataset.
    func shapeOf(_ dset: hid_t, _ path: String) throws -> [Int] {
        let space = try valid(H5Dget_space(dset), "reading dataspace", path)
        return try using(space, H5Sclose, "dataspace", path) { space in
            let rank = Int(H5Sget_simple_extent_ndims(space))
            guard rank >= 0 else { throw HDF5Error.operationFailed(file: self.path, path: path, operation: "reading rank", reason: drainErrorStack()) }
            guard rank <= 32 else { throw HDF5Error.operationFailed(file: self.path, path: path, operation: "reading rank", reason: "rank \(rank) is impossible") }
            var dims = [hsize_t](repeating: 0, count: rank)
            if rank > 0 { try ok(H5Sget_simple_extent_dims(space, &dims, nil), "reading shape", path) }
            return try dims.map { d in
                guard d <= hsize_t(Int.max) else {
                    throw FileError.implausibleSize(path: self.path, object: path, reason: "dimension \(d) is too large")
                }
                return Int(d)
            }
        }
    }

    /// Stored numeric kind, shape and checked element count of an open dataset: refuses non-numeric types, and
    /// element counts that overflow, exceed the bytes stored (contiguous and compact layouts) or the memory cap.
    func numericInfo(_ dset: hid_t, _ path: String, expected: String) throws -> (kind: HDF5ScalarKind?, shape: [Int], count: Int) {
        let stored = try valid(H5Dget_type(dset), "reading datatype", path)
        let (kind, size): (HDF5ScalarKind?, Int) = try using(stored, H5Tclose, "datatype", path) { t in
            let cls = H5Tget_class(t)
            guard cls == H5T_INTEGER || cls == H5T_FLOAT else {
                if cls == H5T_NO_CLASS { _ = drainErrorStack() }
                throw HDF5Error.typeMismatch(file: self.path, path: path, expected: "\(expected) (stored type is not numeric)")
            }
            let size = H5Tget_size(t)
            guard size > 0 else { throw HDF5Error.operationFailed(file: self.path, path: path, operation: "reading type size", reason: drainErrorStack()) }
            var kind: HDF5ScalarKind? = nil
            if cls == H5T_FLOAT { kind = size == 4 ? .float32 : size == 8 ? .float64 : nil }
            else {
                let sign = H5Tget_sign(t)
                if sign == H5T_SGN_ERROR { throw HDF5Error.operationFailed(file: self.path, path: path, operation: "reading sign", reason: drainErrorStack()) }
                let signed = sign == H5T_SGN_2
                kind = size == 1 && !signed ? .uint8 : size == 4 && signed ? .int32 : size == 8 && signed ? .int64 : nil
            }
            return (kind, size)
        }
        let shape = try shapeOf(dset, path)
        let dcpl = try valid(H5Dget_create_plist(dset), "reading creation properties", path)
        let layout = try using(dcpl, H5Pclose, "property list", path) { H5Pget_layout($0) }
        guard layout != H5D_LAYOUT_ERROR else {
            throw HDF5Error.operationFailed(file: self.path, path: path, operation: "reading layout", reason: drainErrorStack())
        }
        let storage = H5Dget_storage_size(dset)
        let fixedLayout = layout == H5D_CONTIGUOUS || layout == H5D_COMPACT
        let counted = try CheckedSize.array(dims: shape, elementSize: max(size, 8),
                                            available: nil, path: self.path, object: path)
        if fixedLayout {
            guard let need = CheckedSize.product(shape).flatMap({ n -> Int? in
                let (b, o) = n.multipliedReportingOverflow(by: size); return o ? nil : b
            }), storage == hsize_t(need) || (storage == 0 && need == 0) else {
                throw FileError.implausibleSize(path: self.path, object: path,
                                                reason: "shape \(shape) of \(size)-byte values does not match the \(storage) bytes stored")
            }
        }
        return (kind, shape, counted.count)
    }

    /// Reads `count` values of an open dataset as `T` (count already checked).
    func readValues<T: HDF5Scalar>(_ dset: hid_t, _ type: T.Type, count: Int, _ path: String) throws -> [T] {
        var values = [T](repeating: T.hdf5Zero, count: count)
        if count == 0 { return values }
        let status = values.withUnsafeMutableBufferPointer { buf in
            H5Dread(dset, T.hdf5Kind.nativeType, H5S_ALL_ID, H5S_ALL_ID, H5P_DEFAULT_ID, buf.baseAddress)
        }
        if status < 0 {
            let reason = drainErrorStack()
            throw HDF5Error.operationFailed(file: self.path, path: path, operation: "reading as \(T.hdf5Kind.rawValue)", reason: reason)
        }
        return values
    }

    private struct Child { let name: String; let isGroup: Bool; let isDataset: Bool }

    private func children(of gid: hid_t, _ group: String) throws -> [Child] {
        var info = H5G_info_t()
        try ok(H5Gget_info(gid, &info), "listing group", group)
        var out: [Child] = []
        for i in 0..<info.nlinks {
            let len = H5Lget_name_by_idx(gid, ".", H5_INDEX_NAME, H5_ITER_INC, i, nil, 0, H5P_DEFAULT_ID)
            guard len >= 0 else { throw HDF5Error.operationFailed(file: path, path: group, operation: "reading link name", reason: drainErrorStack()) }
            guard Int(len) < hdf5MaxStringBytes else {
                throw FileError.implausibleSize(path: path, object: group, reason: "a link name of \(len) bytes")
            }
            var buf = [CChar](repeating: 0, count: Int(len) + 1)
            guard H5Lget_name_by_idx(gid, ".", H5_INDEX_NAME, H5_ITER_INC, i, &buf, Int(len) + 1, H5P_DEFAULT_ID) >= 0 else {
                throw HDF5Error.operationFailed(file: path, path: group, operation: "reading link name", reason: drainErrorStack())
            }
            let childName = String(cString: buf)
            let obj = H5Oopen(gid, childName, H5P_DEFAULT_ID)
            guard obj >= 0 else { _ = drainErrorStack(); continue }  // dangling soft/external link
            let t = try using(obj, H5Oclose, "object", childName) { H5Iget_type($0) }
            out.append(Child(name: childName, isGroup: t == H5I_GROUP, isDataset: t == H5I_DATASET))
        }
        return out
    }

    private func collectDatasets(group gid: hid_t, prefix: String, depth: Int, into out: inout [String]) throws {
        guard depth < 64 else { throw HDF5Error.operationFailed(file: path, path: prefix, operation: "listing datasets", reason: "groups nest more than 64 deep (a cycle?)") }
        for child in try children(of: gid, prefix.isEmpty ? "/" : prefix) {
            let full = prefix.isEmpty ? child.name : prefix + "/" + child.name
            if child.isDataset {
                out.append(full)
            } else if child.isGroup {
                let sub = try valid(H5Gopen2(gid, child.name, H5P_DEFAULT_ID), "opening group", full)
                try using(sub, H5Gclose, "group", full) { sub in
                    try collectDatasets(group: sub, prefix: full, depth: depth + 1, into: &out)
                }
            }
        }
    }
}
