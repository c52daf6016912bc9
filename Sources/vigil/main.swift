// The `vigil` executable: every command lives in the VigilCLI library (so tests run them in-process).
// This file is compiled for the baseline CPU (see the end of Package.swift): it checks that the CPU runs the
// instructions the other modules were compiled for before calling any of them.
#if os(Linux) && arch(x86_64)
import Glibc
#endif
import VigilCLI

#if os(Linux) && arch(x86_64)
/// x86-64-v3 feature flags as /proc/cpuinfo names them (lzcnt is "abm").
private let requiredFlags = ["avx", "avx2", "bmi1", "bmi2", "f16c", "fma", "abm", "movbe", "xsave"]

/// The required flags the first "flags" line of /proc/cpuinfo lacks (empty when it cannot be read).
private func missingCPUFlags() -> [String] {
    guard let f = fopen("/proc/cpuinfo", "r") else { return [] }
    defer { fclose(f) }
    var line: UnsafeMutablePointer<CChar>? = nil
    var cap = 0
    defer { free(line) }
    while getline(&line, &cap, f) > 0, let l = line {
        let s = String(cString: l)
        guard s.hasPrefix("flags") else { continue }
        let have = Set(s.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == ":" }).map(String.init))
        return requiredFlags.filter { !have.contains($0) }
    }
    return []
}

let missing = missingCPUFlags()
if !missing.isEmpty {
    fputs("vigil: this build needs an x86-64-v3 CPU (AVX2, FMA, BMI2); this CPU lacks \(missing.joined(separator: ", ")). "
          + "Rebuild for it with `VIGIL_TARGET_CPU=x86-64 swift build -c release`.\n", stderr)
    exit(2)
}
#endif

VigilCLI.main()
