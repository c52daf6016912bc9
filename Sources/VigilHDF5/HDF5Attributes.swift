// Scalar attributes (strings, doubles, integers) on groups and datasets; every call checked.
import CHDF5
import Foundation
import VigilIO

extension HDF5File {
    /// Sets (or replaces) a UTF-8 string attribute `name` on the group or dataset at `at`.
    public func setAttribute(_ name: String, string: String, at: String = "/") throws {
        try withHDF5 {
            let object = "\(at)@\(name)"
            let strType = try valid(H5Tcopy(H5T_C_S1_g), "creating string type", object)
            try using(strType, H5Tclose, "string type", object) { strType in
                try ok(H5Tset_size(strType, -1), "making the string type variable-length", object)  // H5T_VARIABLE
                try ok(H5Tset_cset(strType, H5T_CSET_UTF8), "setting UTF-8", object)
                try writeAttribute(name, at: at, type: strType) { attr in
                    string.withCString { cstr in
                        var ptr: UnsafePointer<CChar>? = cstr
                        return H5Awrite(attr, strType, &ptr)
                    }
                }
            }
        }
    }

    /// Sets a fixed-length, null-padded ASCII string attribute (the layout NumPy `np.bytes_` attributes use);
    /// internal, so tests can check that `stringAttribute` reads files written by h5py.
    func setFixedLengthStringAttribute(_ name: String, string: String, at: String = "/") throws {
        try withHDF5 {
            let object = "\(at)@\(name)"
            let bytes = Array(string.utf8)
            let strType = try valid(H5Tcopy(H5T_C_S1_g), "creating string type", object)
            try using(strType, H5Tclose, "string type", object) { strType in
                try ok(H5Tset_size(strType, max(bytes.count, 1)), "sizing the string type", object)
                try ok(H5Tset_strpad(strType, H5T_STR_NULLPAD), "setting null padding", object)
                try writeAttribute(name, at: at, type: strType) { attr in
                    var buf = bytes.isEmpty ? [0] : bytes
                    return H5Awrite(attr, strType, &buf)
                }
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
            let object = "\(at)@\(name)"
            return try readAttribute(name, at: at) { attr in
                let ftype = try valid(H5Aget_type(attr), "reading attribute type", object)
                return try using(ftype, H5Tclose, "attribute type", object) { ftype in
                    guard H5Tget_class(ftype) == H5T_STRING else {
                        _ = drainErrorStack()
                        throw HDF5Error.typeMismatch(file: path, path: object, expected: "string")
                    }
                    try checkScalar(attr, object, expected: "string")
                    let memType = try valid(H5Tcopy(H5T_C_S1_g), "creating string type", object)
                    return try using(memType, H5Tclose, "string type", object) { memType in
                        let variable = try truth(H5Tis_variable_str(ftype), "reading string kind", object)
                        if variable {
                            try ok(H5Tset_size(memType, -1), "making the string type variable-length", object)
                            let cset = H5Tget_cset(ftype)
                            guard cset != H5T_CSET_ERROR else { throw HDF5Error.operationFailed(file: path, path: object, operation: "reading character set", reason: drainErrorStack()) }
                            try ok(H5Tset_cset(memType, cset), "setting character set", object)
                            var ptr: UnsafeMutablePointer<CChar>? = nil
                            try ok(H5Aread(attr, memType, &ptr), "reading attribute", object)
                            defer { if let p = ptr { H5free_memory(p) } }
                            guard let p = ptr else { return "" }
                            let n = strnlen(p, hdf5MaxStringBytes)
                            guard n < hdf5MaxStringBytes else {
                                throw FileError.implausibleSize(path: path, object: object, reason: "a string of \(hdf5MaxStringBytes) bytes or more")
                            }
                            return String(decoding: UnsafeRawBufferPointer(start: p, count: n), as: UTF8.self)
                        } else {
                            // One extra byte: the memory type is null-terminated, the stored one may be null-padded.
                            let stored = H5Tget_size(ftype)
                            guard stored > 0, stored < hdf5MaxStringBytes else {
                                throw FileError.implausibleSize(path: path, object: object, reason: "a fixed string of \(stored) bytes")
                            }
                            let size = stored + 1
                            try ok(H5Tset_size(memType, size), "sizing the string type", object)
                            var buf = [CChar](repeating: 0, count: size + 1)
                            try ok(H5Aread(attr, memType, &buf), "reading attribute", object)
                            return String(cString: buf)
                        }
                    }
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
                    _ = drainErrorStack()
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
                    _ = drainErrorStack()
                    throw HDF5Error.typeMismatch(file: path, path: "\(at)@\(name)", expected: "int")
                }
                return Int(v)
            }
        }
    }

    /// True when the object at `at` exists and has an attribute `name` (false also when the file cannot answer).
    public func hasAttribute(_ name: String, at: String = "/") -> Bool {
        (try? withHDF5 {
            let fid = try openID()
            let obj = Self.normalize(at)
            guard try linkExists(obj) else { return false }
            return try truth(H5Aexists_by_name(fid, obj, name, H5P_DEFAULT_ID), "looking up attribute", "\(at)@\(name)")
        }) ?? false
    }

    // MARK: - Internals (lock held)

    private func writeAttribute(_ name: String, at: String, type: hid_t, _ write: (hid_t) -> herr_t) throws {
        let fid = try writableID()
        let object = "\(at)@\(name)"
        let obj = Self.normalize(at)
        guard try linkExists(obj) else { throw HDF5Error.notFound(file: path, path: at) }
        let oid = try valid(H5Oopen(fid, obj, H5P_DEFAULT_ID), "opening", at)
        try using(oid, H5Oclose, "object", at) { oid in
            if try truth(H5Aexists(oid, name), "looking up attribute", object) {
                try ok(H5Adelete(oid, name), "replacing attribute", object)
            }
            let space = try valid(H5Screate(H5S_SCALAR), "creating dataspace", object)
            try using(space, H5Sclose, "dataspace", object) { space in
                let attr = try valid(H5Acreate2(oid, name, type, space, H5P_DEFAULT_ID, H5P_DEFAULT_ID), "creating attribute", object)
                try using(attr, H5Aclose, "attribute", object) { attr in
                    try ok(write(attr), "writing attribute", object)
                }
            }
        }
    }

    private func readAttribute<R>(_ name: String, at: String, _ read: (hid_t) throws -> R) throws -> R {
        let fid = try openID()
        let object = "\(at)@\(name)"
        let obj = Self.normalize(at)
        guard try linkExists(obj) else { throw HDF5Error.notFound(file: path, path: at) }
        guard try truth(H5Aexists_by_name(fid, obj, name, H5P_DEFAULT_ID), "looking up attribute", object) else {
            throw HDF5Error.notFound(file: path, path: object)
        }
        let attr = try valid(H5Aopen_by_name(fid, obj, name, H5P_DEFAULT_ID, H5P_DEFAULT_ID), "opening attribute", object)
        return try using(attr, H5Aclose, "attribute", object) { try read($0) }
    }

    /// Attributes read here are single values: a damaged dataspace that claims more is refused before reading.
    private func checkScalar(_ attr: hid_t, _ object: String, expected: String) throws {
        let space = try valid(H5Aget_space(attr), "reading attribute dataspace", object)
        let n = try using(space, H5Sclose, "dataspace", object) { H5Sget_simple_extent_npoints($0) }
        guard n == 1 else {
            if n < 0 { _ = drainErrorStack() }
            throw HDF5Error.typeMismatch(file: path, path: object, expected: "a single \(expected) (it holds \(n) values)")
        }
    }

    private func checkNumeric(_ attr: hid_t, name: String, at: String, expected: String) throws {
        let object = "\(at)@\(name)"
        let t = try valid(H5Aget_type(attr), "reading attribute type", object)
        let cls = try using(t, H5Tclose, "attribute type", object) { H5Tget_class($0) }
        guard cls == H5T_INTEGER || cls == H5T_FLOAT else {
            if cls == H5T_NO_CLASS { _ = drainErrorStack() }
            throw HDF5Error.typeMismatch(file: path, path: object, expected: expected)
        }
        try checkScalar(attr, object, expected: expected)
    }
}
