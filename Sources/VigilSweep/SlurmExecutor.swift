// Sweeps on a cluster: the incomplete trials of a planned sweep become one Slurm job array, each task running
// `vigil sweep run-trial DIR --index $SLURM_ARRAY_TASK_ID` — the same trial code as a local sweep. Trials are
// idempotent, so a requeued or repeated task is harmless, and re-submitting after failures or preemption runs only
// what is still incomplete.
import Foundation
import VigilIO
import VigilExperiments
import VigilResults

/// Slurm resources and limits of a submission.
public struct SlurmOptions: Equatable, Sendable {
    public var partition: String?
    /// Wall-time limit per task, HH:MM:SS (or D-HH:MM:SS).
    public var time: String?
    public var cpusPerTask: Int
    /// Memory per task in sbatch's syntax (e.g. 4G, 2000M).
    public var mem: String?
    /// At most this many tasks at once (`%K` of `--array`).
    public var maxParallel: Int?

    public init(partition: String? = nil, time: String? = nil, cpusPerTask: Int = 1, mem: String? = nil, maxParallel: Int? = nil) {
        self.partition = partition; self.time = time; self.cpusPerTask = cpusPerTask; self.mem = mem; self.maxParallel = maxParallel
    }

    /// Checks the values sbatch would otherwise reject later (or misread).
    public func validate() throws {
        if let t = time, t.range(of: #"^(\d+-)?\d{1,2}:\d{2}:\d{2}$"#, options: .regularExpression) == nil {
            throw SweepError.executor("--time must be HH:MM:SS or D-HH:MM:SS, got '\(t)'")
        }
        if let m = mem, m.range(of: #"^\d+[KMGT]?$"#, options: .regularExpression) == nil {
            throw SweepError.executor("--mem must be a number with an optional K, M, G or T suffix (e.g. 4G), got '\(m)'")
        }
        if let p = partition, p.isEmpty || p.contains(where: { $0.isWhitespace || $0 == "'" || $0 == "\"" }) {
            throw SweepError.executor("--partition must be a partition name, got '\(p)'")
        }
        guard (1...1024).contains(cpusPerTask) else { throw SweepError.executor("--cpus-per-task must be in 1…1024, got \(cpusPerTask)") }
        if let k = maxParallel, k < 1 { throw SweepError.executor("--max-parallel must be at least 1, got \(k)") }
    }
}

/// A recorded submission (`slurm/jobs.json` holds them all, newest last).
public struct SlurmSubmission: Codable, Equatable, Sendable {
    public var jobID: String
    public var submitted: String
    /// Trial indices of the array (the array task ids).
    public var indices: [Int]
    public var script: String

    public init(jobID: String, submitted: String, indices: [Int], script: String) {
        self.jobID = jobID; self.submitted = submitted; self.indices = indices; self.script = script
    }

    enum CodingKeys: String, CodingKey { case submitted, indices, script; case jobID = "job_id" }
}

/// Writes, submits and queries Slurm job arrays of sweep trials.
public enum SlurmExecutor {
    /// `--array` syntax for `indices` (sorted runs become ranges): [0,1,2,5,7,8] → "0-2,5,7-8", plus `%K`.
    public static func arraySpec(_ indices: [Int], maxParallel: Int?) -> String {
        let s = indices.sorted()
        var parts: [String] = []
        var i = 0
        while i < s.count {
            var j = i
            while j + 1 < s.count && s[j + 1] == s[j] + 1 { j += 1 }
            parts.append(i == j ? "\(s[i])" : "\(s[i])-\(s[j])")
            i = j + 1
        }
        return parts.joined(separator: ",") + (maxParallel.map { "%\($0)" } ?? "")
    }

    /// The sbatch script running trials `indices` of the sweep at `directory` (an absolute path) with `vigil`.
    public static func script(directory: String, indices: [Int], options: SlurmOptions, vigil: String, workingDirectory: String) -> String {
        func q(_ s: String) -> String { "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'" }
        let logs = (directory as NSString).appendingPathComponent("logs")
        var s = "#!/bin/bash\n"
        s += "# Vigil sweep: one trial per array task (the task id is the trial index in sweep.json).\n"
        s += "#SBATCH --job-name=vigil-sweep\n"
        s += "#SBATCH --array=\(arraySpec(indices, maxParallel: options.maxParallel))\n"
        s += "#SBATCH --cpus-per-task=\(options.cpusPerTask)\n"
        s += "#SBATCH --ntasks=1\n"
        if let p = options.partition { s += "#SBATCH --partition=\(p)\n" }
        if let t = options.time { s += "#SBATCH --time=\(t)\n" }
        if let m = options.mem { s += "#SBATCH --mem=\(m)\n" }
        s += "#SBATCH --chdir=\(workingDirectory)\n"
        s += "#SBATCH --output=\(logs)/slurm-%A_%a.out\n"
        s += "#SBATCH --error=\(logs)/slurm-%A_%a.err\n"
        s += "set -euo pipefail\n"
        s += "exec \(q(vigil)) sweep run-trial \(q(directory)) --index \"$SLURM_ARRAY_TASK_ID\" --executor slurm\n"
        return s
    }

    /// Writes the script, submits it with `sbatch --parsable` and records the job id in slurm/jobs.json. With
    /// `dryRun`, returns the script and the command without submitting or recording anything. Only `indices` (the
    /// incomplete trials) are submitted; an empty list submits nothing.
    public static func submit(directory: String, indices: [Int], options: SlurmOptions, vigil: String = ProcessPoolExecutor.currentExecutable,
                              dryRun: Bool) throws -> (script: String, command: [String], submission: SlurmSubmission?) {
        try options.validate()
        let absolute = URL(fileURLWithPath: directory).standardizedFileURL.path
        let layout = SweepLayout(root: absolute)
        let text = script(directory: absolute, indices: indices, options: options, vigil: vigil,
                          workingDirectory: FileManager.default.currentDirectoryPath)
        let stamp = ISO8601DateFormatter().string(from: Date())
        let scriptPath = (layout.root as NSString).appendingPathComponent("slurm/array-\(stamp.replacingOccurrences(of: ":", with: "")).sbatch")
        let command = ["sbatch", "--parsable", scriptPath]
        if dryRun || indices.isEmpty { return (text, command, nil) }
        guard let sbatch = which("sbatch") else {
            throw SweepError.executor("sbatch is not on PATH: this host cannot submit to Slurm; run the sweep with the local executor (drop --executor slurm) or from a Slurm login node")
        }
        try FileManager.default.createDirectory(atPath: (scriptPath as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: (absolute as NSString).appendingPathComponent("logs"), withIntermediateDirectories: true)
        try AtomicFile.write(text, to: scriptPath)
        let (status, out, err) = run(sbatch, ["--parsable", scriptPath])
        guard status == 0 else {
            try? FileManager.default.removeItem(atPath: scriptPath)
            throw SweepError.executor("sbatch rejected the job array (exit \(status)); nothing was submitted:\n\(err.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        let jobID = out.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) } ?? ""
        guard !jobID.isEmpty, jobID.allSatisfy(\.isNumber) else {
            throw SweepError.executor("sbatch answered '\(out.trimmingCharacters(in: .whitespacesAndNewlines))' instead of a job id; check the cluster with squeue")
        }
        let submission = SlurmSubmission(jobID: jobID, submitted: stamp, indices: indices.sorted(), script: scriptPath)
        try record(submission, layout: layout)
        return (text, command, submission)
    }

    /// Submissions recorded for the sweep (oldest first).
    public static func submissions(_ layout: SweepLayout) -> [SlurmSubmission] {
        guard let d = FileManager.default.contents(atPath: layout.slurmJobs) else { return [] }
        return (try? JSONOutput.decode([SlurmSubmission].self, from: d)) ?? []
    }

    static func record(_ s: SlurmSubmission, layout: SweepLayout) throws {
        try AtomicFile.write(try JSONOutput.encode(submissions(layout) + [s]), to: layout.slurmJobs)
    }

    /// Trial indices that Slurm lists as pending or running for the recorded jobs (empty when squeue is not on PATH).
    public static func queuedIndices(_ layout: SweepLayout) -> Set<Int> {
        let jobs = submissions(layout).map(\.jobID)
        guard !jobs.isEmpty, let squeue = which("squeue") else { return [] }
        let (status, out, _) = run(squeue, ["-h", "-r", "-j", jobs.joined(separator: ","), "-o", "%i %T"])
        guard status == 0 else { return [] }
        return parseSqueue(out)
    }

    /// Parses `squeue -h -r -o "%i %T"` lines (`123_4 RUNNING`) into the array task ids that are pending or running.
    public static func parseSqueue(_ text: String) -> Set<Int> {
        var out: Set<Int> = []
        for line in text.split(separator: "\n") {
            let f = line.split(separator: " ", omittingEmptySubsequences: true)
            guard f.count >= 2, let us = f[0].lastIndex(of: "_"), let task = Int(f[0][f[0].index(after: us)...]) else { continue }
            if ["PENDING", "RUNNING", "CONFIGURING", "COMPLETING", "REQUEUED", "RESIZING", "SUSPENDED"].contains(String(f[1])) {
                out.insert(task)
            }
        }
        return out
    }

    /// The absolute path of `tool` on PATH.
    static func which(_ tool: String) -> String? {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let p = "\(dir)/\(tool)"
            if FileManager.default.isExecutableFile(atPath: p) { return p }
        }
        return nil
    }

    static func run(_ exe: String, _ args: [String]) -> (Int32, String, String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: exe)
        p.arguments = args
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        do { try p.run() } catch { return (127, "", "cannot run \(exe): \(error.localizedDescription)") }
        let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }
}
