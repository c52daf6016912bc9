// HDF5 failures as Swift errors: every libhdf5 call's status is checked, and a failed call is reported with the
// messages HDF5 put on its error stack (HDF5's own printing is turned off).
import CHDF5
import Foundation

/// Failures of HDF5 operations, each naming the file and the object involved.
public enum HDF5Error: Error, CustomStringConvertible, Equatable {
    /// The file could not be opened or created (missing, not HDF5, permissions); `reason` is HDF5's message.
    case cannotOpen(file: String, mode: String, reason: String)
    /// No dataset, group or attribute exists at `path` inside `file`.
    case notFound(file: String, path: String)
    /// The object exists but is not of the expected kind (e.g. a group where a dataset was expected).
    case wrongKind(file: String, path: String, expected: String)
    /// `values.count` does not equal the product of `shape`.
    case shapeMismatch(file: String, path: String, shape: [Int], count: Int)
    /// The stored type cannot be converted to the requested one (e.g. a string read as a number).
    case typeMismatch(file: String, path: String, expected: String)
    /// An HDF5 call failed; `reason` is the message HDF5 left on its error stack.
    case operationFailed(file: String, path: String, operation: String, reason: String)
    /// A write was attempted on a file opened read-only.
    case notWritable(file: String)
    /// The file handle was used after `close()`.
    case closed(file: String)
    /// A dataset or attribute read with verification has no stored checksum.
    case missingChecksum(file: String, path: String)
    /// A file that must carry Vigil's seal does not.
    case notSealed(file: String)

    public var description: String {
        switch self {
        case let .cannotOpen(file, mode, reason):
            return "HDF5: cannot open '\(file)' (\(mode)): \(reason); check the path exists and is an HDF5 file you may access"
        case let .notFound(file, path):
            return "HDF5: '\(path)' not found in '\(file)'"
        case let .wrongKind(file, path, expected):
            return "HDF5: '\(path)' in '\(file)' is not a \(expected)"
        case let .shapeMismatch(file, path, shape, count):
            return "HDF5: writing '\(path)' to '\(file)': shape \(shape) holds \(CheckedProduct.describe(shape)) values but \(count) were given"
        case let .typeMismatch(file, path, expected):
            return "HDF5: '\(path)' in '\(file)' cannot be read as \(expected)"
        case let .operationFailed(file, path, operation, reason):
            return "HDF5: \(operation) failed for '\(path)' in '\(file)': \(reason)"
        case let .notWritable(file):
            return "HDF5: '\(file)' is open read-only; open it with .readWrite or .truncate to write"
        case let .closed(file):
            return "HDF5: '\(file)' was already closed"
        case let .notSealed(file):
            return "\(file) carries no Vigil seal (its first 512 bytes): it was not written by this version of vigil, or its first bytes are damaged; write it again with this version"
        case let .missingChecksum(file, path):
            return "HDF5: '\(path)' in '\(file)' has no stored sha256, so it cannot be verified; it was written by an older Vigil or another tool: write it again with this version"
        }
    }
}

/// Shape products for messages (no trap on overflow).
enum CheckedProduct {
    static func describe(_ shape: [Int]) -> String {
        var n = 1
        for d in shape {
            let (p, o) = n.multipliedReportingOverflow(by: d)
            if o || d < 0 { return "an impossible number of" }
            n = p
        }
        return "\(n)"
    }
}

// MARK: - Error stack

/// Collects the descriptions on HDF5's default error stack (innermost last).
private final class ErrorStackMessages {
    var lines: [String] = []
}

private let walkCallback: H5E_walk2_t = { _, errDesc, clientData in
    guard let errDesc, let clientData else { return 0 }
    let box = Unmanaged<ErrorStackMessages>.fromOpaque(clientData).takeUnretainedValue()
    let e = errDesc.pointee
    var text = e.desc.map { String(cString: $0) } ?? ""
    if text.isEmpty {   // no description: use the minor error's text ("No space left on device", …)
        var buf = [CChar](repeating: 0, count: 256)
        var type = H5E_MINOR
        if H5Eget_msg(e.min_num, &type, &buf, buf.count) > 0 { text = String(cString: buf) }
    }
    if !text.isEmpty { box.lines.append(text) }
    return 0
}

/// The messages on HDF5's error stack, outermost first, then clears the stack. Called with the HDF5 lock held.
func drainErrorStack() -> String {
    let box = ErrorStackMessages()
    let stack = hid_t(0)   // H5E_DEFAULT
    _ = H5Ewalk2(stack, H5E_WALK_DOWNWARD, walkCallback, Unmanaged.passUnretained(box).toOpaque())
    _ = H5Eclear2(stack)
    var seen = Set<String>()
    let unique = box.lines.filter { seen.insert($0).inserted }
    guard !unique.isEmpty else { return "HDF5 gave no reason" }
    // The outermost line says what failed, the innermost why (e.g. "No space left on device").
    if unique.count <= 2 { return unique.joined(separator: ": ") }
    return unique.first! + ": " + unique.last!
}
