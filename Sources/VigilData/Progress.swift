// Progress reporting for long data work: a protocol, a stderr progress bar, and a silent sink.
import Foundation

/// Receives progress of a download/verification run.
public protocol ProgressSink: AnyObject {
    /// A phase starts with `files` files totalling `bytes` bytes.
    func begin(phase: String, files: Int, bytes: Int)
    /// `bytes` more bytes were processed in the current file.
    func advance(bytes: Int)
    /// One file of the current phase finished.
    func fileDone(_ path: String)
    /// A one-line note (retry, skip, warning) to show above the bar.
    func note(_ message: String)
    /// The phase finished.
    func end()
}

/// Discards all progress.
public final class SilentProgress: ProgressSink {
    public init() {}
    public func begin(phase: String, files: Int, bytes: Int) {}
    public func advance(bytes: Int) {}
    public func fileDone(_ path: String) {}
    public func note(_ message: String) {}
    public func end() {}
}

/// A progress bar on stderr: `[#####-----] 12/76 files  85.3/310.2 MB  phase`; redrawn in place on a terminal,
/// one line per file otherwise (logs, CI).
public final class StderrProgressBar: ProgressSink {
    private var phase = ""
    private var totalFiles = 0, totalBytes = 0, doneFiles = 0, doneBytes = 0
    private var lastDraw = Date.distantPast
    private let isTTY = isatty(2) != 0
    private let width = 30

    public init() {}

    public func begin(phase: String, files: Int, bytes: Int) {
        self.phase = phase
        totalFiles = files; totalBytes = bytes; doneFiles = 0; doneBytes = 0
        if !isTTY { write("\(phase): \(files) file(s), \(Self.mb(bytes)) MB\n") }
        draw(force: true)
    }

    public func advance(bytes: Int) {
        doneBytes += bytes
        draw(force: false)
    }

    public func fileDone(_ path: String) {
        doneFiles += 1
        if isTTY { draw(force: true) } else { write("  [\(doneFiles)/\(totalFiles)] \(path)\n") }
    }

    public func note(_ message: String) {
        if isTTY { write("\r\u{1B}[K\(message)\n"); draw(force: true) } else { write("\(message)\n") }
    }

    public func end() {
        if isTTY { draw(force: true); write("\n") }
    }

    private func draw(force: Bool) {
        guard isTTY else { return }
        let now = Date()
        if !force && now.timeIntervalSince(lastDraw) < 0.1 { return }
        lastDraw = now
        let frac = totalBytes > 0 ? min(1, Double(doneBytes) / Double(totalBytes))
            : (totalFiles > 0 ? Double(doneFiles) / Double(totalFiles) : 1)
        let bar = progressBar(fraction: frac, width: width)
        write("\r\u{1B}[K[\(bar)] \(doneFiles)/\(totalFiles) files  \(Self.mb(doneBytes))/\(Self.mb(totalBytes)) MB  \(phase)")
    }

    private func write(_ s: String) { FileHandle.standardError.write(s.data(using: .utf8)!) }

    static func mb(_ bytes: Int) -> String { String(format: "%.1f", Double(bytes) / 1_000_000) }
}

/// `width` characters of `#` for the done fraction (clamped to [0, 1]) followed by `-`.
public func progressBar(fraction: Double, width: Int) -> String {
    let filled = Int((min(1, max(0, fraction)) * Double(width)).rounded(.down))
    return String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
}

/// A one-line progress bar on stderr, `label [#####-----] done/total suffix`: redrawn in place at most every
/// 0.1 s on a terminal; on anything else (logs, CI) only the finished line is written.
public final class LineProgress {
    private var lastDraw = Date.distantPast
    private let isTTY = isatty(2) != 0

    public init() {}

    /// Shows `done` of `total`; `finished` ends the line.
    public func update(_ label: String, done: Int, total: Int, suffix: String, finished: Bool) {
        guard finished || isTTY else { return }
        let now = Date()
        if !finished && now.timeIntervalSince(lastDraw) < 0.1 { return }
        lastDraw = now
        let bar = progressBar(fraction: total > 0 ? Double(done) / Double(total) : 1, width: 30)
        let line = "\(isTTY ? "\r\u{1B}[K" : "")\(label) [\(bar)] \(done)/\(total) \(suffix)\(finished ? "\n" : "")"
        FileHandle.standardError.write(Data(line.utf8))
    }
}
