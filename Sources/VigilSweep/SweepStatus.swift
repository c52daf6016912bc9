// Where a sweep stands: done, failed, running and pending trials, from the files alone (and Slurm's queue).
import Foundation
import VigilResults

/// Counts of a sweep's trials.
public struct SweepStatus: Equatable, Sendable {
    public var total: Int
    public var done: [Int]
    public var failed: [Int]
    /// Trials being computed now: a live staging directory on this host, or (Slurm) a queued or running array task.
    public var running: [Int]
    public var pending: [Int]
    /// Failure reasons by trial index.
    public var failures: [Int: String]

    /// Reads the status of the sweep at `layout`. `queued` are trial indices Slurm reports as pending or running.
    public static func read(_ layout: SweepLayout, queued: Set<Int> = []) throws -> SweepStatus {
        let plan = try SweepPlanner.read(layout)
        let staging = (try? FileManager.default.contentsOfDirectory(atPath: layout.trials)) ?? []
        var s = SweepStatus(total: plan.trials.count, done: [], failed: [], running: [], pending: [], failures: [:])
        for t in plan.trials {
            if layout.isComplete(t.id) { s.done.append(t.index); continue }
            let live = staging.contains { $0.hasPrefix(".\(t.id).") && $0.hasSuffix(".staging") && Self.writerAlive($0) }
            if live || queued.contains(t.index) { s.running.append(t.index); continue }
            if let d = FileManager.default.contents(atPath: layout.failure(t.id)), let f = try? JSONOutput.decode(TrialFailure.self, from: d) {
                s.failed.append(t.index)
                s.failures[t.index] = f.reason
            } else {
                s.pending.append(t.index)
            }
        }
        return s
    }

    /// Trials not complete (failed or pending; what a re-run or a re-submission runs).
    public var incomplete: [Int] { (failed + pending + running).sorted() }

    /// True when a staging directory's name `.<name>.<host>.<pid>.<random>.staging` names a live process on this host.
    static func writerAlive(_ name: String) -> Bool {
        let parts = name.split(separator: ".")
        guard parts.count >= 5, let pid = Int32(parts[parts.count - 3]) else { return false }
        let host = String(parts[parts.count - 4])
        guard host == ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? host else { return false }
        return kill(pid, 0) == 0 || errno == EPERM
    }
}
