// A directory output built aside and moved into place whole: run outputs, per-machine result directories,
// sweep trials and export bundles appear complete or not at all.
import Foundation
#if canImport(Glibc)
import Glibc
#endif

#if os(Linux)
/// glibc `int renameat2(int, const char *, int, const char *, unsigned int)` (not exported by the Glibc module).
@_silgen_name("renameat2")
private func glibcRenameat2(_ olddirfd: Int32, _ oldpath: UnsafePointer<CChar>, _ newdirfd: Int32,
                            _ newpath: UnsafePointer<CChar>, _ flags: UInt32) -> Int32
private let renameExchange: UInt32 = 1 << 1   // RENAME_EXCHANGE
private let atFDCWD: Int32 = -100             // AT_FDCWD
#endif

/// A directory built in a hidden sibling and published into place atomically.
///
///     let stage = try StagingDirectory(destination: "results/machine-2-1", replace: .when(isVigilRun))
///     try AtomicFile.write(report, to: stage.path + "/report.md")     // write everything inside stage.path
///     try stage.publish()                                             // now results/machine-2-1 is the new run
///
/// The staging directory is `.<name>.<host>.<pid>.<random>.staging` beside the destination (same filesystem, so
/// moving it is a rename). `publish()` fsyncs every file and directory inside it, then:
/// - destination absent: renames the staging directory to it;
/// - destination exists (and `replace` allows it): swaps the two atomically with `renameat2(RENAME_EXCHANGE)` and
///   removes the old tree; where the filesystem cannot exchange (e.g. NFS), moves the old directory aside
///   (`.<name>.<host>.<pid>.<random>.old`), renames the new one in, then removes the old.
/// A crash at any point leaves at the destination either the old complete directory or the new complete one. If it
/// strikes between the two renames of the fallback, the destination is momentarily absent; the next
/// `StaleFiles.removeStale` in that directory (every `StagingDirectory` runs it) moves the old directory back.
/// A staging directory that is never published is removed on `discard()` or deinit, and by later runs when its
/// process was killed.
public final class StagingDirectory {
    /// When an existing destination may be replaced.
    public enum ReplacePolicy {
        /// Never: publishing over an existing destination fails.
        case never
        /// Always (the caller knows the destination is its own).
        case always
        /// When the predicate, given the destination's real path, returns nil; otherwise the returned reason is the
        /// error (e.g. "it is not a Vigil run directory").
        case unless((String) -> String?)
    }

    /// The path the user gave.
    public let displayPath: String
    /// The real path the directory is published to.
    public let destination: String
    /// The staging directory to write into.
    public let path: String
    /// Whether `publish()` has moved the directory into place.
    public private(set) var isPublished = false
    private let replace: ReplacePolicy

    /// Creates the staging directory for `destination` (parents created), after removing stale siblings of dead
    /// writers and checking now, before any work, that `replace` allows replacing an existing destination.
    public init(destination: String, replace: ReplacePolicy) throws {
        displayPath = destination
        self.replace = replace
        self.destination = try Paths.outputDirectory(destination, createParents: true)
        StaleFiles.removeStale(in: (self.destination as NSString).deletingLastPathComponent)
        try Self.checkReplaceable(self.destination, displayPath: destination, replace)
        path = TemporaryName.sibling(of: self.destination, kind: .staging)
        guard mkdir(path, 0o777) == 0 else { throw FileError.system(operation: "creating staging directory for", path: destination, errno: errno) }
    }

    deinit { if !isPublished { discard() } }

    /// `path/relative`.
    public func file(_ relative: String) -> String { (path as NSString).appendingPathComponent(relative) }

    /// Throws unless `destination` is absent or `replace` allows replacing it.
    static func checkReplaceable(_ destination: String, displayPath: String, _ replace: ReplacePolicy) throws {
        let k = try Paths.kind(of: destination)
        switch k {
        case .absent: return
        case .directory: break
        default: throw FileError.notDirectory(path: displayPath, kind: k.name)
        }
        switch replace {
        case .always: return
        case .never: throw FileError.destinationNotReplaceable(path: displayPath, reason: "publishing never replaces a directory")
        case .unless(let reason):
            if let r = reason(destination) { throw FileError.destinationNotReplaceable(path: displayPath, reason: r) }
        }
    }

    /// Moves the finished directory into place (see the type's documentation). Throws, leaving the destination as
    /// it was, when the destination may not be replaced or a rename fails.
    public func publish() throws {
        guard !isPublished else { throw FileError.failed(operation: "publishing", path: displayPath, reason: "it was already published") }
        try Self.syncTree(path, displayPath: displayPath)
        let parent = (destination as NSString).deletingLastPathComponent
        try Self.checkReplaceable(destination, displayPath: displayPath, replace)
        if try Paths.kind(of: destination) == .absent {
            guard rename(path, destination) == 0 else { throw FileError.system(operation: "publishing", path: displayPath, errno: errno) }
        } else {
            var exchanged = false
            #if os(Linux)
            if glibcRenameat2(atFDCWD, path, atFDCWD, destination, renameExchange) == 0 {
                exchanged = true
            } else if ![EINVAL, ENOSYS, ENOTSUP, EOPNOTSUPP].contains(errno) {
                throw FileError.system(operation: "publishing", path: displayPath, errno: errno)
            }
            #endif
            if exchanged {
                isPublished = true                    // the staging path now holds the old tree
                try AtomicFile.syncDirectory(parent, displayPath: displayPath)
                try? FileManager.default.removeItem(atPath: path)
                return
            }
            let aside = TemporaryName.sibling(of: destination, kind: .old)
            guard rename(destination, aside) == 0 else { throw FileError.system(operation: "moving aside the old", path: displayPath, errno: errno) }
            guard rename(path, destination) == 0 else {
                let code = errno
                _ = rename(aside, destination)
                throw FileError.system(operation: "publishing", path: displayPath, errno: code)
            }
            isPublished = true
            try AtomicFile.syncDirectory(parent, displayPath: displayPath)
            try? FileManager.default.removeItem(atPath: aside)
            return
        }
        isPublished = true
        try AtomicFile.syncDirectory(parent, displayPath: displayPath)
    }

    /// Removes the staging directory (nothing is published).
    public func discard() {
        try? FileManager.default.removeItem(atPath: path)
    }

    /// fsync of every regular file and directory below `root` (and `root` itself).
    static func syncTree(_ root: String, displayPath: String) throws {
        if let e = FileManager.default.enumerator(atPath: root) {
            for case let rel as String in e {
                let p = (root as NSString).appendingPathComponent(rel)
                switch try Paths.kind(of: p) {
                case .regular: try AtomicFile.syncFile(p, displayPath: displayPath + "/" + rel)
                case .directory: try AtomicFile.syncDirectory(p, displayPath: displayPath + "/" + rel)
                default: break
                }
            }
        }
        try AtomicFile.syncDirectory(root, displayPath: displayPath)
    }
}
