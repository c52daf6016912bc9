// Every failure of Vigil's file primitives, as a typed error whose message says what to do. Foundation errors
// (NSCocoaErrorDomain) are converted here so that their raw text never reaches a user.
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Failures of reading, writing, publishing and verifying files.
public enum FileError: Error, CustomStringConvertible, Equatable {
    /// A system call failed with `errno` (create, write, fsync, rename, read, …).
    case system(operation: String, path: String, errno: Int32)
    /// A failure reported without an errno (e.g. by a library); `reason` is already user-readable.
    case failed(operation: String, path: String, reason: String)
    /// The path given cannot name a file (empty, or ends in "/").
    case invalidPath(path: String, reason: String)
    /// An output path names something that is not a regular file (FIFO, device, directory, socket).
    case notRegularFile(path: String, kind: String)
    /// A directory output path names something that is not a directory.
    case notDirectory(path: String, kind: String)
    /// The directory an output should go into does not exist.
    case directoryMissing(path: String)
    /// Symbolic links loop (or nest too deeply) while resolving `path`.
    case symlinkLoop(path: String)
    /// An output is the same file as an input (or as another output).
    case outputIsInput(output: String, outputRole: String, input: String, inputRole: String)
    /// An output directory is, or contains, an input.
    case outputDirectoryHoldsInput(directory: String, directoryRole: String, input: String, inputRole: String)
    /// A directory output exists and is not something Vigil may replace.
    case destinationNotReplaceable(path: String, reason: String)
    /// A size read from a file header is impossible (overflow, larger than the file, above the cap).
    case implausibleSize(path: String, object: String, reason: String)
    /// A stored checksum does not match the content.
    case checksumMismatch(path: String, object: String, expected: String, actual: String)

    public var description: String {
        switch self {
        case let .system(operation, path, code):
            return "\(operation) \(path) failed: \(Self.systemMessage(code)); \(Self.advice(code))"
        case let .failed(operation, path, reason):
            return "\(operation) \(path) failed: \(reason)"
        case let .invalidPath(path, reason):
            return "'\(path)' is not a usable file path: \(reason)"
        case let .notRegularFile(path, kind):
            return "\(path) is a \(kind), not a regular file; Vigil only writes regular files (it never replaces a \(kind)): give a file path"
        case let .notDirectory(path, kind):
            return "\(path) is a \(kind), not a directory: give a directory path (it is created if missing)"
        case let .directoryMissing(path):
            return "directory \(path) does not exist: create it first or choose another output path"
        case let .symlinkLoop(path):
            return "\(path): symbolic links loop or nest too deeply; point the link at a real file"
        case let .outputIsInput(output, outputRole, input, inputRole):
            if output == input && outputRole == inputRole { return "\(outputRole) \(output) is given twice" }
            return "\(outputRole) \(output) is the same file as \(inputRole) \(input); Vigil never overwrites what it reads or writes one file twice: choose another output path"
        case let .outputDirectoryHoldsInput(directory, directoryRole, input, inputRole):
            return "\(directoryRole) \(directory) is or contains \(inputRole) \(input); publishing the output directory would replace it: choose an output directory outside the inputs"
        case let .destinationNotReplaceable(path, reason):
            return "\(path) exists and \(reason); Vigil does not replace it: remove it or choose another output path"
        case let .implausibleSize(path, object, reason):
            return "\(path): \(object): \(reason); the file is damaged or not what it claims to be"
        case let .checksumMismatch(path, object, expected, actual):
            return "\(path): \(object) is damaged (sha256 \(actual.prefix(16))… differs from the stored \(expected.prefix(16))…); the file was corrupted after it was written: restore it from a copy or write it again"
        }
    }

    /// What went wrong and what to do, without the operation and path (for messages that name them already):
    /// "No space left on device; the disk is full: …" for system errors, the description otherwise.
    public static func reason(of error: Error) -> String {
        switch wrap(error, operation: "", path: "") {
        case let FileError.system(_, _, code): return "\(systemMessage(code)); \(advice(code))"
        case let FileError.failed(_, _, reason): return reason
        case let other: return "\(other)"
        }
    }

    /// `strerror(code)`.
    public static func systemMessage(_ code: Int32) -> String { String(cString: strerror(code)) }

    /// What a user can do about `errno` `code`.
    public static func advice(_ code: Int32) -> String {
        switch code {
        case ENOSPC: return "the disk is full: free space or write to another disk"
        case EDQUOT: return "the disk quota is exhausted: free space or write elsewhere"
        case EFBIG: return "the file exceeds the allowed size (ulimit -f or the filesystem's limit): raise the limit or write elsewhere"
        case EACCES, EPERM: return "permission denied: choose a location you may write to, or fix its permissions"
        case EROFS: return "the filesystem is read-only: write elsewhere"
        case ENOENT: return "no such file or directory: check the path"
        case ENOTDIR: return "a component of the path is not a directory: check the path"
        case EISDIR: return "it is a directory: give a file path"
        case ENAMETOOLONG: return "the path is too long: use a shorter one"
        case EIO: return "an I/O error occurred (failing disk or network filesystem): check the device and retry"
        case EMFILE, ENFILE: return "too many open files: raise the limit (ulimit -n) or run fewer jobs at once"
        case EXDEV: return "source and destination are on different filesystems"
        default: return "check the path and retry"
        }
    }

    /// Converts any error from Foundation (or the system) into a `FileError` naming `operation` and `path`:
    /// `FileError`s pass through; NSErrors yield their POSIX errno (directly or as the underlying error).
    public static func wrap(_ error: Error, operation: String, path: String) -> Error {
        if error is FileError { return error }
        let ns = error as NSError
        if ns.domain == NSPOSIXErrorDomain { return FileError.system(operation: operation, path: path, errno: Int32(ns.code)) }
        if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            return FileError.system(operation: operation, path: path, errno: Int32(underlying.code))
        }
        if ns.domain == NSCocoaErrorDomain {
            switch CocoaError.Code(rawValue: ns.code) {
            case .fileNoSuchFile, .fileReadNoSuchFile: return FileError.system(operation: operation, path: path, errno: ENOENT)
            case .fileReadNoPermission, .fileWriteNoPermission: return FileError.system(operation: operation, path: path, errno: EACCES)
            case .fileWriteOutOfSpace: return FileError.system(operation: operation, path: path, errno: ENOSPC)
            case .fileWriteVolumeReadOnly: return FileError.system(operation: operation, path: path, errno: EROFS)
            case .fileWriteFileExists: return FileError.system(operation: operation, path: path, errno: EEXIST)
            case .fileReadInapplicableStringEncoding, .fileReadCorruptFile:
                return FileError.failed(operation: operation, path: path, reason: "the content is not valid UTF-8 text")
            case .fileReadTooLarge: return FileError.failed(operation: operation, path: path, reason: "the file is too large")
            default: break
            }
            return FileError.failed(operation: operation, path: path, reason: "file error \(ns.code)")
        }
        return error
    }
}
