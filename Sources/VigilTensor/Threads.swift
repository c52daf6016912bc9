import CBLAS

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
}
