// Progress of many units at once: on a terminal, one live line per running unit under an overall line;
// in logs, plain lines when stages start and end (no redraws).
import Foundation
import VigilData
import VigilExperiments

/// Renders `UnitEvent`s from any thread on standard error.
final class LiveUnitDisplay: UnitEventSink, @unchecked Sendable {
    private struct Line { var stage: String; var done: Int; var total: Int; var detail: String }
    private let lock = NSLock()
    private let isTTY = isatty(2) != 0
    private var running: [(unit: String, line: Line)] = []
    private var completed = 0, failed = 0, preDone = 0
    private var total: Int
    private let start = Date()
    private var drawnLines = 0
    private var lastDraw = Date.distantPast
    private let label: String

    /// `total`: units expected (for the overall line and the ETA); `label`: what a unit is ("machines", "trials").
    init(total: Int, label: String = "machines") { self.total = total; self.label = label }

    func send(_ e: UnitEvent) {
        lock.lock(); defer { lock.unlock() }
        switch e.kind {
        case .completed: completed += 1; remove(e.unit)
        case .failed: failed += 1; remove(e.unit)
        case .stageStarted: update(e.unit) { $0 = Line(stage: e.stage, done: 0, total: 0, detail: "") }
        case .progress: update(e.unit) { $0.stage = e.stage; $0.done = e.done ?? 0; $0.total = e.total ?? 0; $0.detail = e.detail ?? "" }
        case .stageFinished, .note: break
        }
        if isTTY {
            if e.kind == .failed || e.kind == .completed || (e.kind == .note && e.detail?.contains("FAILED") == true) {
                emit(e.logLine)
            }
            draw(force: e.kind != .progress)
        } else if e.kind != .progress {
            FileHandle.standardError.write(Data((stamp() + e.logLine + "\n").utf8))
        }
    }

    /// Sets the number of units once it is known (`alreadyDone` of them were complete before and are counted done).
    func setTotal(_ n: Int, alreadyDone: Int = 0) {
        lock.lock(); defer { lock.unlock() }
        total = n
        completed = alreadyDone
        preDone = alreadyDone
    }

    /// Clears the live lines (call before printing the final summary).
    func finish() {
        lock.lock(); defer { lock.unlock() }
        if isTTY { clear() }
    }

    private func stamp() -> String { String(format: "[%6.1fs] ", Date().timeIntervalSince(start)) }

    private func update(_ unit: String, _ body: (inout Line) -> Void) {
        if let i = running.firstIndex(where: { $0.unit == unit }) { body(&running[i].line) } else {
            var l = Line(stage: "", done: 0, total: 0, detail: "")
            body(&l)
            running.append((unit, l))
        }
    }

    private func remove(_ unit: String) { running.removeAll { $0.unit == unit } }

    private func clear() {
        var s = ""
        for _ in 0..<drawnLines { s += "\u{1B}[1A\u{1B}[2K" }
        if !s.isEmpty { FileHandle.standardError.write(Data(("\r" + s).utf8)) }
        drawnLines = 0
    }

    private func emit(_ line: String) {
        clear()
        FileHandle.standardError.write(Data((stamp() + line + "\n").utf8))
    }

    private func draw(force: Bool) {
        let now = Date()
        if !force && now.timeIntervalSince(lastDraw) < 0.1 { return }
        lastDraw = now
        clear()
        let finishedNow = completed + failed - preDone
        let elapsed = now.timeIntervalSince(start)
        let pending = max(0, total - completed - failed - running.count)
        var eta = ""
        if finishedNow > 0 && completed + failed < total {
            eta = String(format: ", ETA %.0f s", elapsed / Double(finishedNow) * Double(total - completed - failed))
        }
        var lines = ["\(label): \(completed)/\(total) done, \(failed) failed, \(running.count) running, \(pending) pending, "
                     + String(format: "%.0f s", elapsed) + eta]
        for (u, l) in running {
            let frac = l.total > 0 ? Double(l.done) / Double(l.total) : 0
            let bar = l.total > 0 ? "[\(progressBar(fraction: frac, width: 20))] " : ""
            lines.append("  \(u.padding(toLength: 12, withPad: " ", startingAt: 0)) \(l.stage.padding(toLength: 14, withPad: " ", startingAt: 0)) \(bar)\(l.detail)")
        }
        FileHandle.standardError.write(Data((lines.joined(separator: "\n") + "\n").utf8))
        drawnLines = lines.count
    }
}
