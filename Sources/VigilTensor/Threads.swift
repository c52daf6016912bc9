import CBLAS
import Dispatch

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
