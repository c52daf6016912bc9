// Where an output really goes (symbolic links followed, non-regular targets refused) and whether it is the same
// file as an input: checked by every command before any work.
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Path resolution shared by `AtomicFile`, `StagingDirectory` and `OutputGuard`.
public enum Paths {
    /// What a path names, without following a final symbolic link.
    public enum Kind: Equatable, Sendable {
        case absent, regular, directory, symlink, fifo, characterDevice, blockDevice, socket, other

        /// Human name used in errors ("FIFO", "character device", …).
        public var name: String {
            switch self {
            case .absent: return "missing path"
            case .regular: return "regular file"
            case .directory: return "directory"
            case .symlink: return "symbolic link"
            case .fifo: return "FIFO (named pipe)"
            case .characterDevice: return "character device"
            case .blockDevice: return "block device"
            case .socket: return "socket"
            case .other: return "special file"
            }
        }
    }

    /// `lstat` kind of `path` (`.absent` when it does not exist).
    public static func kind(of path: String) throws -> Kind {
        var st = stat()
        if lstat(path, &st) != 0 {
            if errno == ENOENT { return .absent }
            throw FileError.system(operation: "inspecting", path: path, errno: errno)
        }
        return kind(mode: st.st_mode)
    }

    static func kind(mode: mode_t) -> Kind {
        switch mode & S_IFMT {
        case S_IFREG: return .regular
        case S_IFDIR: return .directory
        case S_IFLNK: return .symlink
        case S_IFIFO: return .fifo
        case S_IFCHR: return .characterDevice
        case S_IFBLK: return .blockDevice
        case S_IFSOCK: return .socket
        default: return .other
        }
    }

    /// `path` made absolute against the current directory (no symlink resolution, "." and ".." kept).
    public static func absolute(_ path: String) -> String {
        if path.hasPrefix("/") { return path }
        return (FileManager.default.currentDirectoryPath as NSString).appendingPathComponent(path)
    }

    /// The real path of an existing directory (`realpath`).
    static func realDirectory(_ dir: String) throws -> String {
        let d = dir.isEmpty ? "." : dir
        guard let p = realpath(d, nil) else {
            if errno == ENOENT { throw FileError.directoryMissing(path: d) }
            throw FileError.system(operation: "resolving", path: d, errno: errno)
        }
        defer { free(p) }
        let s = String(cString: p)
        var st = stat()
        guard stat(s, &st) == 0 else { throw FileError.system(operation: "inspecting", path: d, errno: errno) }
        guard kind(mode: st.st_mode) == .directory else { throw FileError.notDirectory(path: d, kind: kind(mode: st.st_mode).name) }
        return s
    }

    /// Follows symbolic links from `path` (relative link targets are relative to the link's directory) until
    /// something that is not a link: returns that path (parent directory made real) and its kind.
    public static func followLinks(_ path: String) throws -> (path: String, kind: Kind) {
        guard !path.isEmpty else { throw FileError.invalidPath(path: path, reason: "it is empty") }
        var p = absolute(path)
        for _ in 0..<40 {
            let k = try kind(of: p)
            if k == .symlink {
                var buf = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
                let n = readlink(p, &buf, buf.count - 1)
                guard n >= 0 else { throw FileError.system(operation: "reading link", path: p, errno: errno) }
                let target = String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
                p = target.hasPrefix("/") ? target : ((p as NSString).deletingLastPathComponent as NSString).appendingPathComponent(target)
                continue
            }
            let name = (p as NSString).lastPathComponent
            if k == .directory || name == "." || name == ".." || name == "/" {
                return (try realDirectory(p), .directory)
            }
            let dir = try realDirectory((p as NSString).deletingLastPathComponent)
            return ((dir as NSString).appendingPathComponent(name), k)
        }
        throw FileError.symlinkLoop(path: path)
    }

    /// The real path a regular-file output at `path` is written to: a symbolic link is followed to its target,
    /// which must be a regular file or absent, inside an existing directory. FIFOs, devices, directories and
    /// sockets are refused (`FileError.notRegularFile`), as is a path ending in "/".
    public static func outputFile(_ path: String) throws -> String {
        guard !path.isEmpty else { throw FileError.invalidPath(path: path, reason: "it is empty") }
        guard !path.hasSuffix("/") else { throw FileError.invalidPath(path: path, reason: "it ends in '/', which names a directory") }
        let (real, k) = try followLinks(path)
        switch k {
        case .absent, .regular: return real
        default: throw FileError.notRegularFile(path: path, kind: k.name)
        }
    }

    /// The real path an output directory at `path` is published to: a symbolic link is followed to its target, which
    /// must be a directory or absent; its parent is created when `createParents`.
    public static func outputDirectory(_ path: String, createParents: Bool) throws -> String {
        guard !path.isEmpty else { throw FileError.invalidPath(path: path, reason: "it is empty") }
        let trimmed = path.count > 1 && path.hasSuffix("/") ? String(path.dropLast()) : path
        if createParents {
            let parent = (absolute(trimmed) as NSString).deletingLastPathComponent
            do { try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true) } catch {
                throw FileError.wrap(error, operation: "creating directory", path: parent)
            }
        }
        let (real, k) = try followLinks(trimmed)
        switch k {
        case .absent, .directory: return real
        default: throw FileError.notDirectory(path: path, kind: k.name)
        }
    }

    /// The canonical path of `path`, existing or not: every symbolic link resolved, missing trailing components
    /// appended to the real path of their deepest existing ancestor.
    public static func canonical(_ path: String) -> String {
        let abs = (absolute(path) as NSString).standardizingPath
        if let p = realpath(abs, nil) {
            defer { free(p) }
            return String(cString: p)
        }
        let parent = (abs as NSString).deletingLastPathComponent
        if parent == abs { return abs }
        if let r = try? followLinks(abs), r.kind == .absent, r.path != abs { return canonical(r.path) }
        return (canonical(parent) as NSString).appendingPathComponent((abs as NSString).lastPathComponent)
    }

    /// Device and inode of the file `path` names (links followed), nil when it does not exist.
    public static func identity(_ path: String) -> (device: UInt64, inode: UInt64)? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return (UInt64(st.st_dev), UInt64(st.st_ino))
    }

    /// True when `a` and `b` name the same file: the same device and inode, or (for paths that do not exist yet)
    /// the same canonical path.
    public static func sameFile(_ a: String, _ b: String) -> Bool {
        if let x = identity(a), let y = identity(b) { return x == y }
        return canonical(a) == canonical(b)
    }
}

/// One command-line file with the option that named it, e.g. `("--train", "x.csv")`.
public struct NamedPath: Sendable, Equatable {
    /// The option or role (`--out`, `--train`, `train.csv of --data-dir`, …).
    public var role: String
    public var path: String
    public init(_ role: String, _ path: String) {
        self.role = role
        self.path = path
    }
}

/// The check every command runs before any work: no output may be an input, or be given twice, and no output
/// directory may be or contain an input. Output files must also be writable kinds (regular file or absent, in an
/// existing directory), so a FIFO or device path fails here and not after training.
public enum OutputGuard {
    public static func check(outputs: [NamedPath], outputDirectories: [NamedPath] = [], inputs: [NamedPath]) throws {
        for o in outputs { _ = try Paths.outputFile(o.path) }
        for (i, o) in outputs.enumerated() {
            for input in inputs where Paths.sameFile(o.path, input.path) {
                throw FileError.outputIsInput(output: o.path, outputRole: o.role, input: input.path, inputRole: input.role)
            }
            for other in outputs[..<i] where Paths.sameFile(o.path, other.path) {
                throw FileError.outputIsInput(output: o.path, outputRole: o.role, input: other.path, inputRole: other.role)
            }
        }
        for d in outputDirectories {
            let dir = Paths.canonical(d.path)
            for input in inputs + outputs {
                let p = Paths.canonical(input.path)
                if p == dir || p.hasPrefix(dir.hasSuffix("/") ? dir : dir + "/") {
                    throw FileError.outputDirectoryHoldsInput(directory: d.path, directoryRole: d.role, input: input.path, inputRole: input.role)
                }
            }
        }
    }
}
