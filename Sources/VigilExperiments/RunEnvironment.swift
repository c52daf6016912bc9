// Reading the run environment (version, commit, compiler, BLAS, CPU) from this process and machine.
import CBLAS
import Foundation
import VigilResults

extension RunEnvironment {
    /// Reads the environment now (runs `git` in `directory` when it is available).
    public static func current(vigilVersion: String, directory: String = FileManager.default.currentDirectoryPath) -> RunEnvironment {
        let commit = run(["git", "-C", directory, "rev-parse", "HEAD"])?.trimmingCharacters(in: .whitespacesAndNewlines)
        let dirty = commit == nil ? nil : run(["git", "-C", directory, "status", "--porcelain", "--untracked-files=no"]).map { !$0.isEmpty }
        var model = "unknown", flags: [String] = []
        if let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) {
            for line in info.split(separator: "\n") {
                if model == "unknown", line.hasPrefix("model name") { model = line.split(separator: ":", maxSplits: 1).last.map { $0.trimmingCharacters(in: .whitespaces) } ?? model }
                if flags.isEmpty, line.hasPrefix("flags") {
                    let all = Set(line.split(separator: ":", maxSplits: 1).last?.split(separator: " ").map(String.init) ?? [])
                    flags = ["sse4_2", "avx", "avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512_vnni"].filter(all.contains)
                }
            }
        }
        let os = ProcessInfo.processInfo.operatingSystemVersionString
        return RunEnvironment(
            vigilVersion: vigilVersion, gitCommit: (commit?.isEmpty ?? true) ? "unknown" : commit!, gitDirty: dirty,
            swiftVersion: compilerVersion, blas: String(cString: openblas_get_config()),
            blasCore: String(cString: openblas_get_corename()), cpuModel: model, cpuFlags: flags,
            cores: ProcessInfo.processInfo.activeProcessorCount, host: ProcessInfo.processInfo.hostName, os: os)
    }

    /// The Swift compiler that built this binary (major.minor; compile-time checks).
    static var compilerVersion: String {
        #if compiler(>=6.4)
        return "≥ 6.4"
        #elseif compiler(>=6.3)
        return "6.3"
        #elseif compiler(>=6.2)
        return "6.2"
        #elseif compiler(>=6.1)
        return "6.1"
        #elseif compiler(>=6.0)
        return "6.0"
        #else
        return "< 6.0"
        #endif
    }

    /// Output of a short command, nil when it cannot run or fails.
    static func run(_ argv: [String]) -> String? {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = argv
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        do { try p.run() } catch { return nil }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { return nil }
        return String(decoding: data, as: UTF8.self)
    }
}
