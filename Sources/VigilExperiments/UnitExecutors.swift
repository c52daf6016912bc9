// How units are dispatched: in this process one after another, or in child processes N at a time. Both run
// the same `MachineRunner.run`; a child process is `vigil` itself with a hidden subcommand.
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// How a unit ended.
public enum UnitResult: Equatable, Sendable {
    case completed
    case failed(String)
}

/// Runs units and reports their events.
public protocol UnitExecutor {
    /// Runs every unit of `units` and returns how each ended (units not started because of an interruption are absent).
    func execute(_ units: [String], events: UnitEventSink) -> [String: UnitResult]
}

/// Runs units one after another in this process.
public struct InProcessExecutor: UnitExecutor {
    let body: (String, UnitEventSink) throws -> Void

    /// `body(unit, events)` computes a unit (throws on failure).
    public init(run body: @escaping (String, UnitEventSink) throws -> Void) { self.body = body }

    /// Runs `MachineRunner` on `job(unit)`.
    public init(job: @escaping (String) -> MachineJob) {
        self.init { unit, events in try MachineRunner.run(job(unit), events: events) }
    }

    public func execute(_ units: [String], events: UnitEventSink) -> [String: UnitResult] {
        var out: [String: UnitResult] = [:]
        for u in units {
            do {
                try body(u, events)
                out[u] = .completed
            } catch {
                out[u] = .failed(String(describing: error))
                events.send(UnitEvent(unit: u, kind: .failed, detail: String(describing: error)))
            }
        }
        return out
    }
}

/// Runs each unit in a child process, at most `jobs` at once. A child writes `UnitEvent` JSON lines on its standard
/// output (forwarded to the sink) and its standard error to `logPath(unit)`; exit status 0 means the unit completed.
/// Children die with the parent (they are started with `VIGIL_PARENT_PID` and set PR_SET_PDEATHSIG), so a killed
/// run leaves no orphan writing results.
public final class ProcessPoolExecutor: UnitExecutor {
    let jobs: Int
    let arguments: (String) -> [String]
    let executable: String
    let logPath: (String) -> String

    /// `arguments(unit)`: the argv after the executable; `logPath(unit)`: where the child's stderr goes.
    public init(jobs: Int, executable: String = ProcessPoolExecutor.currentExecutable, arguments: @escaping (String) -> [String],
                logPath: @escaping (String) -> String) {
        self.jobs = max(1, jobs); self.executable = executable; self.arguments = arguments; self.logPath = logPath
    }

    /// This process's executable (/proc/self/exe on Linux).
    public static var currentExecutable: String {
        #if os(Linux)
        if let p = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") { return p }
        #endif
        return CommandLine.arguments[0]
    }

    public func execute(_ units: [String], events: UnitEventSink) -> [String: UnitResult] {
        let lock = NSLock()
        var results: [String: UnitResult] = [:]
        var next = 0
        DispatchQueue.concurrentPerform(iterations: min(jobs, units.count)) { _ in
            while true {
                lock.lock()
                guard next < units.count else { lock.unlock(); return }
                let u = units[next]
                next += 1
                lock.unlock()
                let r = runChild(u, events: events)
                if case .failed(let why) = r { events.send(UnitEvent(unit: u, kind: .failed, detail: why)) }
                lock.lock(); results[u] = r; lock.unlock()
            }
        }
        return results
    }

    private func runChild(_ unit: String, events: UnitEventSink) -> UnitResult {
        let log = logPath(unit)
        try? FileManager.default.createDirectory(atPath: (log as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        guard FileManager.default.createFile(atPath: log, contents: nil), let logHandle = FileHandle(forWritingAtPath: log) else {
            return .failed("cannot create the log file \(log)")
        }
        defer { try? logHandle.close() }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = arguments(unit)
        var env = ProcessInfo.processInfo.environment
        env["VIGIL_PARENT_PID"] = String(getpid())
        p.environment = env
        let out = Pipe()
        p.standardOutput = out
        p.standardError = logHandle
        p.standardInput = FileHandle.nullDevice
        do { try p.run() } catch { return .failed("cannot start \(executable): \(error.localizedDescription)") }
        var pending = Data()
        var sawFailure: String?
        let reader = out.fileHandleForReading
        while true {
            let chunk = reader.availableData
            if chunk.isEmpty { break }
            pending.append(chunk)
            while let nl = pending.firstIndex(of: 0x0A) {
                let line = String(decoding: pending[pending.startIndex..<nl], as: UTF8.self)
                pending.removeSubrange(pending.startIndex...nl)
                if let e = UnitEvent.parse(line: line) {
                    if e.kind == .failed { sawFailure = e.detail } else { events.send(e) }
                } else {
                    logHandle.write(Data((line + "\n").utf8))
                }
            }
        }
        p.waitUntilExit()
        if p.terminationReason == .uncaughtSignal {
            return .failed("the unit's process was killed by signal \(p.terminationStatus); see \(log)")
        }
        guard p.terminationStatus == 0 else {
            let tail = (try? String(contentsOfFile: log, encoding: .utf8))?.split(separator: "\n").suffix(3).joined(separator: " / ") ?? ""
            return .failed(sawFailure ?? "exit status \(p.terminationStatus): \(tail) (log: \(log))")
        }
        return .completed
    }
}

/// A child process started by `ProcessPoolExecutor` ends when its parent does (Linux PR_SET_PDEATHSIG).
public enum ParentWatch {
    /// Call first thing in a child: if `VIGIL_PARENT_PID` is set, ask the kernel to SIGKILL this process when the
    /// parent exits, and exit at once if the parent is already gone.
    public static func dieWithParent() {
        guard let s = ProcessInfo.processInfo.environment["VIGIL_PARENT_PID"], let ppid = Int32(s) else { return }
        #if os(Linux)
        _ = prctlSetDeathSignal(1 /* PR_SET_PDEATHSIG */, UInt(SIGKILL))
        #endif
        if getppid() != ppid { exit(1) }
    }
}

#if os(Linux)
/// glibc `int prctl(int option, unsigned long arg2)` (variadic in C; called with one argument here).
@_silgen_name("prctl") private func prctlSetDeathSignal(_ option: Int32, _ arg2: UInt) -> Int32
#endif
