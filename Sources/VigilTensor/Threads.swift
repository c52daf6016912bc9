import CBLAS
import Dispatch
#if canImport(Glibc)
import Glibc
#endif

/// OpenBLAS thread count (GEMMs); the elementwise kernels are single-threaded.
public enum Threads {
    /// Sets the number of OpenBLAS threads (`openblas_set_num_threads`). Results are bit-reproducible for a
    /// fixed seed and a fixed thread count.
    public static func set(_ n: Int) {
        precondition(n >= 1, "Threads.set: need at least 1 thread, got \(n)")
        openblas_set_num_threads(Int32(n))
    }
    /// Current OpenBLAS thread count (`openblas_get_num_threads`).
    public static var count: Int { Int(openblas_get_num_threads()) }

    /// Runs `body(start, count)` over `count` items cut into min(threads, count) contiguous chunks, one per
    /// thread (inline when that is 1). Chunk boundaries depend on the thread count, so callers whose results
    /// must not depend on it give each item its own work (and random stream).
    public static func forEachChunk(_ count: Int, threads: Int, _ body: (Int, Int) -> Void) {
        let n = Swift.max(1, Swift.min(threads, count))
        if n == 1 { body(0, count); return }
        DispatchQueue.concurrentPerform(iterations: n) { c in
            let b0 = count * c / n, b1 = count * (c + 1) / n
            if b1 > b0 { body(b0, b1 - b0) }
        }
    }
}

/// What the BLAS library and the CPU offer (printed by the benchmarks next to their timings).
public enum HostInfo {
    /// OpenBLAS's kernel family for this CPU (`openblas_get_corename`, e.g. "Haswell", "SkylakeX", "Cooperlake").
    public static var blasCore: String { String(cString: openblas_get_corename()) }
    /// OpenBLAS's build configuration (`openblas_get_config`: version, DYNAMIC_ARCH, thread limit).
    public static var blasConfig: String { String(cString: openblas_get_config()) }

    /// The SIMD-related flags of the first CPU in /proc/cpuinfo among sse4_2, avx, avx2, fma, avx512f, avx512bw,
    /// avx512vl, avx512_bf16, in that order (empty where /proc/cpuinfo is missing, e.g. macOS).
    public static var simdFlags: [String] {
        let interesting = ["sse4_2", "avx", "avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512_bf16"]
        #if os(Linux)
        guard let f = fopen("/proc/cpuinfo", "r") else { return [] }
        defer { fclose(f) }
        var line: UnsafeMutablePointer<CChar>? = nil, cap = 0
        defer { free(line) }
        while getline(&line, &cap, f) > 0, let l = line {
            let s = String(cString: l)
            guard s.hasPrefix("flags") else { continue }
            let have = Set(s.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == ":" || $0 == "\n" }).map(String.init))
            return interesting.filter { have.contains($0) }
        }
        #endif
        return []
    }
}
