// Checked arithmetic for sizes that come from file headers (.npy shapes, HDF5 dataspaces): a damaged or hostile
// header must give an error, never an overflow trap or a petabyte allocation.
import Foundation

/// Element counts and byte sizes computed from header dimensions, with overflow detection and limits.
public enum CheckedSize {
    /// The largest array Vigil allocates from a header: half the physical memory, at most 64 GiB.
    public static let maxArrayBytes: Int = {
        let half = ProcessInfo.processInfo.physicalMemory / 2
        return Int(min(half, UInt64(64) << 30))
    }()

    /// Product of `dims` (1 for none), or nil when a dimension is negative or the product overflows `Int`.
    public static func product(_ dims: [Int]) -> Int? {
        var n = 1
        for d in dims {
            guard d >= 0 else { return nil }
            let (p, overflow) = n.multipliedReportingOverflow(by: d)
            if overflow { return nil }
            n = p
        }
        return n
    }

    /// Element count and byte size of an array of `dims` with `elementSize`-byte elements, checked: no overflow,
    /// at most `cap` bytes and, when `available` is given, exactly that many bytes (`exact`) or at most that many.
    /// `path`/`object` name the file and the array in the error.
    public static func array(dims: [Int], elementSize: Int, available: Int? = nil, exact: Bool = true,
                             cap: Int = CheckedSize.maxArrayBytes, path: String, object: String) throws -> (count: Int, bytes: Int) {
        guard let count = product(dims) else {
            throw FileError.implausibleSize(path: path, object: object, reason: "shape \(dims) overflows or has a negative dimension")
        }
        let (bytes, overflow) = count.multipliedReportingOverflow(by: elementSize)
        guard !overflow else {
            throw FileError.implausibleSize(path: path, object: object, reason: "shape \(dims) of \(elementSize)-byte values overflows")
        }
        if let a = available {
            if exact && bytes != a {
                throw FileError.implausibleSize(path: path, object: object,
                                                reason: "shape \(dims) needs \(bytes) bytes of data but the file holds \(a)")
            }
            if !exact && bytes > a {
                throw FileError.implausibleSize(path: path, object: object,
                                                reason: "shape \(dims) needs \(bytes) bytes but only \(a) are stored")
            }
        }
        guard bytes <= cap else {
            throw FileError.implausibleSize(path: path, object: object,
                                            reason: "shape \(dims) needs \(bytes) bytes, more than the \(cap)-byte limit")
        }
        return (count, bytes)
    }
}
