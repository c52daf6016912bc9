// Names of in-progress outputs: `.<name>.<host>.<pid>.<random>.<kind>` beside the final path, so a rename into
// place is atomic, a later run can tell whether the writer is still alive, and a shared filesystem (several
// hosts, e.g. Slurm nodes) never has one host remove another host's live files.
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The kinds of in-progress siblings Vigil creates.
public enum TemporaryKind: String, Sendable, CaseIterable {
    /// A file being written by `AtomicFile`.
    case part
    /// A directory being built by `StagingDirectory`.
    case staging
    /// A previous directory moved aside by `StagingDirectory.publish` (only where an atomic exchange is unavailable).
    case old
}

/// Builds and parses the names of in-progress siblings.
public enum TemporaryName {
    /// This host's name as used in temporary names: the short host name, characters outside [A-Za-z0-9_-] as `_`.
    public static let host: String = {
        var buf = [CChar](repeating: 0, count: 256)
        guard gethostname(&buf, buf.count - 1) == 0 else { return "localhost" }
        let full = String(cString: buf)
        let short = full.split(separator: ".").first.map(String.init) ?? full
        let cleaned = String(short.map { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") ? $0 : "_" })
        return cleaned.isEmpty ? "localhost" : cleaned
    }()

    /// Longest final name kept whole inside a temporary name (NAME_MAX is 255 bytes).
    static let maxNameBytes = 160

    /// The sibling path `<dir>/.<name>.<host>.<pid>.<random>.<kind>` of `final`.
    public static func sibling(of final: String, kind: TemporaryKind) -> String {
        let dir = (final as NSString).deletingLastPathComponent
        var name = (final as NSString).lastPathComponent
        if name.utf8.count > maxNameBytes { name = String(decoding: Array(name.utf8.prefix(maxNameBytes)), as: UTF8.self) }
        let random = String(UInt32.random(in: 0...UInt32.max), radix: 16)
        let leaf = ".\(name).\(host).\(getpid()).\(random).\(kind.rawValue)"
        return dir.isEmpty ? leaf : (dir as NSString).appendingPathComponent(leaf)
    }

    /// The parts of a temporary name.
    public struct Parsed: Equatable, Sendable {
        /// The final name the writer was producing (possibly truncated for very long names).
        public var name: String
        /// The writer's host; nil for names written by Vigil before hosts were recorded (`.<name>.<pid>.part`).
        public var host: String?
        public var pid: Int32
        public var kind: TemporaryKind
    }

    /// Parses a file name made by `sibling(of:kind:)` (or the older `.<name>.<pid>.part`); nil for anything else.
    public static func parse(_ fileName: String) -> Parsed? {
        guard fileName.hasPrefix("."), let dot = fileName.lastIndex(of: ".") else { return nil }
        guard let kind = TemporaryKind(rawValue: String(fileName[fileName.index(after: dot)...])) else { return nil }
        let parts = fileName.dropFirst().dropLast(kind.rawValue.count + 1).split(separator: ".", omittingEmptySubsequences: false)
        // .<name>.<host>.<pid>.<random>.<kind>
        if parts.count >= 4, let pid = Int32(parts[parts.count - 2]), pid > 0, UInt32(parts[parts.count - 1], radix: 16) != nil,
           !parts[parts.count - 3].isEmpty {
            return Parsed(name: parts[0..<(parts.count - 3)].joined(separator: "."), host: String(parts[parts.count - 3]),
                          pid: pid, kind: kind)
        }
        // legacy .<name>.<pid>.part (same host assumed)
        if kind == .part, parts.count >= 2, let pid = Int32(parts[parts.count - 1]), pid > 0 {
            return Parsed(name: parts[0..<(parts.count - 1)].joined(separator: "."), host: nil, pid: pid, kind: kind)
        }
        return nil
    }
}

/// Removal of in-progress siblings whose writer is gone.
public enum StaleFiles {
    /// True when `pid` names a running (non-zombie) process on this host.
    public static func isRunning(_ pid: Int32) -> Bool {
        if kill(pid, 0) != 0 { return errno == EPERM }
        #if os(Linux)
        // A killed run whose parent never reaps it stays a zombie; it writes nothing more.
        if let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
           let close = stat.lastIndex(of: ")") {
            let state = stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).first
            if state == "Z" || state == "X" { return false }
        }
        #endif
        return true
    }

    /// Removes the temporary siblings in `dir` (`.part` files, `.staging` directories, `.old` directories) written on
    /// this host by processes that are no longer running, and this process's own when `includeOwn`. Names written on
    /// another host, and names Vigil did not make, are never touched. A dead `.old` directory (a publish interrupted
    /// between moving the old directory aside and moving the new one in) is moved back to its name when that name is
    /// free, so the previous complete output reappears; otherwise it is removed. Returns the names handled, sorted.
    @discardableResult
    public static func removeStale(in dir: String, includeOwn: Bool = false) -> [String] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir) else { return [] }
        var removed: [String] = []
        let me = getpid()
        for name in names.sorted() {
            guard let t = TemporaryName.parse(name) else { continue }
            if let h = t.host, h != TemporaryName.host { continue }
            if t.pid == me ? !includeOwn : isRunning(t.pid) { continue }
            let full = (dir as NSString).appendingPathComponent(name)
            if t.kind == .old, t.name.utf8.count < TemporaryName.maxNameBytes {
                let original = (dir as NSString).appendingPathComponent(t.name)
                var st = stat()
                if lstat(original, &st) != 0 && errno == ENOENT && rename(full, original) == 0 {
                    removed.append(name)
                    continue
                }
            }
            if (try? FileManager.default.removeItem(atPath: full)) != nil { removed.append(name) }
        }
        return removed
    }
}
