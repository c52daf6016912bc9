import ArgumentParser
import Foundation
import VigilData
import VigilIO
import VigilRandom
import VigilTensor
import VigilTranAD

/// `vigil bench tranad`: one training epoch and one full inference pass on synthetic data.
struct BenchTranAD: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tranad",
        abstract: "TranAD training-epoch and inference speed on synthetic data.",
        discussion: """
        Builds a seeded uniform [0, 1) matrix of --windows rows × --features columns, trains TranAD for one \
        epoch (batch --batch, AdamW, dropout 0.1, the two-phase loss) and scores every row (one inference \
        pass over all windows). Measure release builds (swift build -c release); \
        scripts/bench-tranad runs this next to scripts/bench_pytorch_tranad.py at the same thread count.

        Output keys: epoch_seconds, train_windows_per_second, inference_seconds, dtype, threads, plus \
        peak_rss_mb (peak resident memory), epoch_cpu_seconds / inference_cpu_seconds (CPU time of \
        each part, less sensitive to other load on the machine), cpu_simd_flags (the SIMD flags of \
        /proc/cpuinfo) and blas_core (the OpenBLAS kernel family that ran).
        """
    )

    @Flag(help: "Print one JSON object (otherwise a readable summary).")
    var json = false

    @Option(help: "Rows (= windows) of synthetic data (SMD machine-1-1 train has 28,479).")
    var windows: Int = 28479

    @Option(help: "Features F (SMD: 38).")
    var features: Int = 38

    @Option(help: "float32 or float64.")
    var dtype: String = "float32"

    @Option(help: "Training batch size.")
    var batch: Int = 128

    @Option(help: "Worker threads (data-parallel; BLAS runs single-threaded inside each). Default: all cores.")
    var threads: Int?

    @Option(help: "Windows per inference batch when scoring (does not change the scores). Default: the trainer's (64).")
    var scoreBatch: Int?

    @Option(help: "Seed of data and weights.")
    var seed: UInt64 = 0

    func run() throws {
        guard let precision = TranADPrecision(rawValue: dtype) else { throw ValidationError("--dtype must be float32 or float64, got '\(dtype)'") }
        guard windows >= 1, features >= 1, batch >= 1, (scoreBatch ?? 1) >= 1 else {
            throw ValidationError("--windows, --features, --batch and --score-batch must be positive")
        }
        guard let cells = CheckedSize.product([windows, features]), cells <= 1 << 28, (scoreBatch ?? 1) <= 1 << 20 else {
            throw ValidationError("--windows × --features must be ≤ 2^28 and --score-batch ≤ 2^20")
        }
        let workers = threads ?? ProcessInfo.processInfo.activeProcessorCount
        var rng = Xoshiro256(seed: seed)
        let values = (0..<(windows * features)).map { _ in rng.nextUnitDouble() }
        let matrix = DataMatrix(rows: windows, cols: features, values: values)
        var config = TranADConfig()
        config.precision = precision
        config.epochs = 1
        config.batchSize = batch
        config.seed = seed
        let trainer: TranADTrainer
        do { trainer = try TranADTrainer(features: features, config: config, workers: workers) } catch let e as TranADConfigError {
            throw ValidationError(e.description)
        }
        if let scoreBatch { trainer.scoreBatchSize = scoreBatch }
        let c0 = cpuSeconds(), t0 = Date()
        try trainer.train(on: matrix)
        let epoch = Date().timeIntervalSince(t0), epochCPU = cpuSeconds() - c0
        let c1 = cpuSeconds(), t1 = Date()
        _ = try trainer.score(matrix)  // timed only
        let inference = Date().timeIntervalSince(t1), inferenceCPU = cpuSeconds() - c1
        var usage = rusage()
        getrusage(0 /* RUSAGE_SELF */, &usage)
        let peakMB = Double(usage.ru_maxrss) / 1024
        if json {
            let r4 = { (x: Double) in (x * 10000).rounded() / 10000 }
            print("{\"epoch_seconds\": \(r4(epoch)), \"train_windows_per_second\": \((Double(windows) / epoch * 10).rounded() / 10), "
                + "\"inference_seconds\": \(r4(inference)), \"dtype\": \"\(dtype)\", \"threads\": \(workers), "
                + "\"peak_rss_mb\": \(peakMB.rounded()), \"epoch_cpu_seconds\": \(r4(epochCPU)), \"inference_cpu_seconds\": \(r4(inferenceCPU)), "
                + "\"cpu_simd_flags\": \"\(HostInfo.simdFlags.joined(separator: " "))\", \"blas_core\": \"\(HostInfo.blasCore)\"}")
        } else {
            print(String(format: "TranAD %@ F=%d windows=%d batch=%d threads=%d: epoch %.3f s (%.0f windows/s), inference %.3f s, peak RSS %.0f MB",
                         dtype as NSString, features, windows, batch, workers, epoch, Double(windows) / epoch, inference, peakMB))
            print("CPU SIMD flags: \(HostInfo.simdFlags.joined(separator: " ")); OpenBLAS core: \(HostInfo.blasCore)")
        }
    }
}

/// User + system CPU seconds of this process so far.
func cpuSeconds() -> Double {
    var u = rusage()
    getrusage(0 /* RUSAGE_SELF */, &u)
    return Double(u.ru_utime.tv_sec) + Double(u.ru_utime.tv_usec) / 1e6 + Double(u.ru_stime.tv_sec) + Double(u.ru_stime.tv_usec) / 1e6
}
