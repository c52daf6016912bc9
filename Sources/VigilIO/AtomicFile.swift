// The one way Vigil writes a file: into a temporary sibling, fsync, rename over the final path, fsync the
// directory. A reader (or a crash) sees the old file or the new one, never a half-written one.
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Whole-file atomic writes.
///
///     try AtomicFile.write(report, to: "results/report.md")
///     try AtomicFile.write(to: "model.h5") { tmp in try writeHDF5(to: tmp) }   // any writer that takes a path
///
/// The final path is resolved first (`Paths.outputFile`): a symbolic link is followed and its target replaced (the
/// link stays), a missing file is created, and anything that is not a regular file (FIFO, device, directory,
/// socket) is refused with `FileError.notRegularFile` — a rename never replaces a non-regular file. The body writes
/// `.<name>.<host>.<pid>.<random>.part` beside the target; on success that file is fsynced, given the old file's
/// permissions, renamed over the target and the directory is fsynced. On any error, the temporary file is removed
/// and the target is untouched. Temporary files of killed writers are removed by `StaleFiles.removeStale`.
public enum AtomicFile {
    /// Runs `body` with the path of a fresh temporary sibling of `path`, then moves the file it wrote into place.
    /// `body` must create a regular file at the path it is given. Returns the real path written.
    @discardableResult
    public static func write(to path: String, _ body: (String) throws -> Void) throws -> String {
        let target = try Paths.outputFile(path)
        let tmp = TemporaryName.sibling(of: target, kind: .part)
        var committed = false
        defer { if !committed { unlink(tmp) } }
        do { try body(tmp) } catch { throw FileError.wrap(error, operation: "writing", path: path) }
        guard try Paths.kind(of: tmp) == .regular else {
            throw FileError.failed(operation: "writing", path: path, reason: "the writer produced no regular file")
        }
        try syncFile(tmp, displayPath: path)
        var old = stat()
        if lstat(target, &old) == 0 {
            guard Paths.kind(mode: old.st_mode) == .regular else {   // it changed since it was resolved
                throw FileError.notRegularFile(path: path, kind: Paths.kind(mode: old.st_mode).name)
            }
            _ = chmod(tmp, old.st_mode & 0o7777)
        }
        guard rename(tmp, target) == 0 else { throw FileError.system(operation: "renaming into place", path: path, errno: errno) }
        committed = true
        try syncDirectory((target as NSString).deletingLastPathComponent, displayPath: path)
        return target
    }

    /// Writes `bytes` atomically to `path`.
    @discardableResult
    public static func write(_ bytes: UnsafeRawBufferPointer, to path: String) throws -> String {
        try write(to: path) { tmp in try createFile(tmp, bytes, displayPath: path) }
    }

    /// Writes `bytes` atomically to `path`.
    @discardableResult
    public static func write(_ bytes: [UInt8], to path: String) throws -> String {
        try bytes.withUnsafeBytes { try write($0, to: path) }
    }

    /// Writes `data` atomically to `path`.
    @discardableResult
    public static func write(_ data: Data, to path: String) throws -> String {
        try data.withUnsafeBytes { try write($0, to: path) }
    }

    /// Writes `text` as UTF-8 atomically to `path`.
    @discardableResult
    public static func write(_ text: String, to path: String) throws -> String {
        var t = text
        return try t.withUTF8 { try write(UnsafeRawBufferPointer($0), to: path) }
    }

    /// Creates `path` (which must not exist) holding `bytes`; every short write and error is reported.
    static func createFile(_ path: String, _ bytes: UnsafeRawBufferPointer, displayPath: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
        guard fd >= 0 else { throw FileError.system(operation: "creating", path: displayPath, errno: errno) }
        var closed = false
        defer { if !closed { close(fd) } }
        var offset = 0
        while offset < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                throw FileError.system(operation: "writing", path: displayPath, errno: errno)
            }
            offset += n
        }
        closed = true
        guard close(fd) == 0 else { throw FileError.system(operation: "closing", path: displayPath, errno: errno) }
    }

    /// fsync of a file by path.
    public static func syncFile(_ path: String, displayPath: String? = nil) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw FileError.system(operation: "opening", path: displayPath ?? path, errno: errno) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw FileError.system(operation: "flushing to disk", path: displayPath ?? path, errno: errno) }
    }

    /// fsync of a directory, so a rename inside it survives a crash (filesystems that cannot sync a directory,
    /// EINVAL, are accepted).
    public static func syncDirectory(_ dir: String, displayPath: String? = nil) throws {
        let fd = open(dir.isEmpty ? "." : dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw FileError.system(operation: "opening directory of", path: displayPath ?? dir, errno: errno) }
        defer { close(fd) }
        if fsync(fd) != 0 && errno != EINVAL {
            throw FileError.system(operation: "flushing directory of", path: displayPath ?? dir, errno: errno)
        }
    }
}
