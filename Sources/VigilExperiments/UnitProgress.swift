// Progress of one unit of work (a machine of a run, a trial of a sweep): what a live bar or a log line shows.
// Units running in child processes send these as JSON lines on their standard output.
import Foundation

/// One progress event of a unit.
public struct UnitEvent: Codable, Equatable, Sendable {
    /// What happened.
    public enum Kind: String, Codable, Sendable {
        /// A stage began (`data`, `fit tranad`, `score tranad`, `evaluate`, `export`, `report`).
        case stageStarted = "stage_started"
        /// Progress inside a stage (`done` of `total`).
        case progress
        /// A stage ended (`seconds`, `peak_rss_bytes`).
        case stageFinished = "stage_finished"
        /// A line worth logging (an epoch's loss, a warning).
        case note
        /// The unit finished and was published (`detail`: the directory).
        case completed
        /// The unit failed (`detail`: the reason); nothing was published.
        case failed
    }

    public var unit: String
    public var kind: Kind
    public var stage: String
    public var done: Int?
    public var total: Int?
    public var detail: String?
    public var seconds: Double?
    public var peakRSSBytes: Int?

    public init(unit: String, kind: Kind, stage: String = "", done: Int? = nil, total: Int? = nil, detail: String? = nil,
                seconds: Double? = nil, peakRSSBytes: Int? = nil) {
        self.unit = unit; self.kind = kind; self.stage = stage; self.done = done; self.total = total; self.detail = detail
        self.seconds = seconds; self.peakRSSBytes = peakRSSBytes
    }

    enum CodingKeys: String, CodingKey {
        case unit, kind, stage, done, total, detail, seconds
        case peakRSSBytes = "peak_rss_bytes"
    }

    /// One JSON line (no newline inside).
    public func jsonLine() -> String {
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? enc.encode(self)) ?? Data(), as: UTF8.self)
    }

    /// Parses a line written by `jsonLine()`; nil for anything else.
    public static func parse(line: String) -> UnitEvent? {
        guard line.hasPrefix("{") else { return nil }
        return try? JSONDecoder().decode(UnitEvent.self, from: Data(line.utf8))
    }

    /// The plain log form: `machine-1-1  fit tranad: epoch 2/5 loss 0.0123`.
    public var logLine: String {
        switch kind {
        case .stageStarted: return "\(unit)  \(stage): started"
        case .stageFinished:
            var s = "\(unit)  \(stage): done"
            if let t = seconds { s += String(format: " in %.2f s", t) }
            if let r = peakRSSBytes { s += String(format: ", peak RSS %.0f MB", Double(r) / 1e6) }
            return s
        case .progress: return "\(unit)  \(stage): \(done ?? 0)/\(total ?? 0)" + (detail.map { " \($0)" } ?? "")
        case .note: return "\(unit)  \(stage.isEmpty ? "" : stage + ": ")\(detail ?? "")"
        case .completed: return "\(unit)  complete" + (detail.map { " → \($0)" } ?? "")
        case .failed: return "\(unit)  FAILED: \(detail ?? "unknown reason")"
        }
    }
}

/// Receives a unit's events (a terminal renderer, a log, a pipe to the parent process).
public protocol UnitEventSink: AnyObject, Sendable {
    func send(_ event: UnitEvent)
}

/// Discards events.
public final class SilentUnitEvents: UnitEventSink {
    public init() {}
    public func send(_ event: UnitEvent) {}
}

/// Collects events in memory (tests).
public final class RecordingUnitEvents: UnitEventSink, @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [UnitEvent] = []
    public init() {}
    public func send(_ event: UnitEvent) { lock.lock(); storage.append(event); lock.unlock() }
    public var events: [UnitEvent] { lock.lock(); defer { lock.unlock() }; return storage }
}

/// Writes each event as a JSON line to a file handle (a child process's standard output).
public final class JSONLineUnitEvents: UnitEventSink, @unchecked Sendable {
    private let handle: FileHandle
    private let lock = NSLock()
    /// The minimum interval between two `progress` events (others are sent at once).
    private let throttle: Double
    private var lastProgress = 0.0
    public init(handle: FileHandle = .standardOutput, throttleSeconds: Double = 0.2) {
        self.handle = handle
        throttle = throttleSeconds
    }
    public func send(_ event: UnitEvent) {
        lock.lock(); defer { lock.unlock() }
        if event.kind == .progress {
            let now = Date().timeIntervalSince1970
            if now - lastProgress < throttle && event.done != event.total { return }
            lastProgress = now
        }
        handle.write(Data((event.jsonLine() + "\n").utf8))
    }
}
