// Temporary files `.<name>.<pid>.part`: written next to their destination, renamed into place when complete,
// and removed by a later run when the process that wrote them is gone.
import Foundation
#if canImport(Glibc)
import Glibc
#endif

enum TemporaryFiles {
    /// `.<name>.<pid>.part` in the same directory as `final` (so the final rename is atomic).
    static func path(for final: String) -> String {
        let dir = (final as NSString).deletingLastPathComponent
        let name = (final as NSString).lastPathComponent
        return (dir as NSString).appendingPathComponent(".\(name).\(getpid()).part")
    }

    /// True when `pid` names a running (non-zombie) process.
    static func isRunning(_ pid: Int32) -> Bool {
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

    /// Removes `.…<pid>.part` files in `dir` whose writer is no longer running (and this process's own when
    /// `includeOwn`); returns the removed names.
    static func removeStale(in dir: String, includeOwn: Bool) -> [String] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir) else { return [] }
        var removed: [String] = []
        for name in names.sorted() where name.hasPrefix(".") && name.hasSuffix(".part") {
            let pidText = name.dropLast(5).split(separator: ".").last.map(String.init) ?? ""
            if let pid = Int32(pidText) {
                if pid == getpid() ? !includeOwn : isRunning(pid) { continue }
            }
            if (try? FileManager.default.removeItem(atPath: (dir as NSString).appendingPathComponent(name))) != nil {
                removed.append(name)
            }
        }
        return removed
    }
}
