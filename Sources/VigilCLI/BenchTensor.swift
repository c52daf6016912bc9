import ArgumentParser
import Foundation
import VigilNN
import VigilRandom
import VigilTensor

/// `vigil bench tensor`: GEMM throughput at TranAD's shapes, the OpenBLAS peak, and framework overhead.
struct BenchTensor: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tensor",
        abstract: "GEMM throughput at TranAD shapes, the OpenBLAS peak at 1024³, and tensor-op overhead.",
        discussion: """
        Measures, with the OpenBLAS thread count shown:
          - sgemm at TranAD's shapes (1280x76)·(76x228), (1280x76)·(76x76)
            (window 10 x batch 128 rows, 76 features -> 228 outputs);
          - the OpenBLAS peak: sgemm and dgemm at 1024x1024x1024;
          - VigilTensor's linear forward+backward, x (10, 128, 76) -> 228,
            against the same three raw GEMMs, timed interleaved
            (overhead_ratio = median of per-sample ratios);
          - batched matmul forward+backward at the attention shape
            (4864, 10, 2)·(4864, 10, 2)^T (128 windows x 38 heads);
          - a TranAD-sized transformer encoder layer (d_model 76, 38
            heads, feed-forward 16, dropout 0.1) forward+backward from
            VigilTensor ops, x (10, 128, 76);
          - same-shape and bias-broadcast adds at (10, 128, 228);
          - per-op overhead: a 4-element add (no grad) and
            mul + sum + backward (with grad);
          - TranAD's fused attention kernels forward+backward with
            dropout 0.1, as each of the trainer's data-parallel
            workers calls them (half a batch of 128, one thread):
            self-attention (64 windows x 10 tokens, 38 heads of
            width 2) and cross-attention (1 query on 10 keys),
            float32, and the self-attention in float64; each also
            times its backward alone after 64 MB have been streamed
            through the caches (as in training, where the backward
            reads operands the forward saw long before: the in-cache
            figure misses that memory traffic).
        Each figure is the median of --repeats timed samples; GFLOP/s
        counts 2·m·n·k per GEMM. Build with `swift build -c release`
        first. Other processes share the cores: the 1-minute load average
        is printed alongside; compare runs at similar load.
        """
    )

    @Flag(name: .long, help: "Print one JSON object instead of a table.")
    var json = false

    @Option(name: .long, help: "Timed samples per measurement (median reported); the 1024³ GEMMs use max(3, repeats/10).")
    var repeats = 50

    @Option(name: .long, help: "OpenBLAS threads to use (default: OpenBLAS's own choice, usually the core count).")
    var threads: Int?

    @Option(name: .long, help: "Run only the measurements whose key starts with this prefix (e.g. attention, sgemm).")
    var only: String?

    func validate() throws {
        guard repeats >= 1 else { throw ValidationError("--repeats must be at least 1, got \(repeats)") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, got \(threads)") }
    }

    func run() throws {
        if let threads { Threads.set(threads) }
        var results: [(key: String, value: [String: Any])] = []
        func note(_ s: String) { FileHandle.standardError.write(("bench tensor: " + s + "\n").data(using: .utf8)!) }
        /// Measures `key` (noting `what` first) unless --only excludes it.
        func measure(_ key: String, _ what: String, _ body: () -> [String: Any]) {
            if let only, !key.hasPrefix(only) { return }
            note(what)
            results.append((key: key, value: body()))
        }

        for (m, k, n) in [(1280, 76, 228), (1280, 76, 76)] {
            measure("sgemm_\(m)x\(k)x\(n)", "sgemm \(m)×\(k)·\(k)×\(n)") { gemmBench(Float.self, m: m, k: k, n: n, samples: repeats) }
        }
        let bigSamples = max(3, repeats / 10)
        measure("peak_sgemm_1024", "sgemm 1024³") { gemmBench(Float.self, m: 1024, k: 1024, n: 1024, samples: bigSamples) }
        measure("peak_dgemm_1024", "dgemm 1024³") { gemmBench(Double.self, m: 1024, k: 1024, n: 1024, samples: bigSamples) }
        measure("linear_fwd_bwd_10x128x76_to_228", "linear forward+backward") { linearBench(samples: repeats) }
        measure("bmm_fwd_bwd_4864x10x2_by_4864x10x2T", "batched matmul at attention shapes") { bmmBench(samples: repeats) }
        measure("encoder_layer_fwd_bwd_10x128x76", "encoder-layer forward+backward") { encoderBench(samples: max(3, repeats / 5)) }
        measure("add_10x128x228", "elementwise adds") { addBench(samples: repeats) }
        measure("tiny_ops_overhead", "tiny-op overhead") { tinyBench(samples: repeats) }
        measure("attention_self_fwd_bwd_64x10x38", "fused self-attention forward+backward") {
            attentionBench(batch: 64, queries: 10, keys: 10, samples: repeats)
        }
        measure("attention_cross_fwd_bwd_64x1x10x38", "fused cross-attention forward+backward") {
            attentionBench(batch: 64, queries: 1, keys: 10, samples: repeats)
        }
        measure("attention_f64_self_fwd_bwd_64x10x38", "fused self-attention forward+backward, float64") {
            attentionBench(Double.self, batch: 64, queries: 10, keys: 10, samples: repeats)
        }
        guard !results.isEmpty else { throw ValidationError("--only \(only ?? ""): no measurement key starts with it") }

        let load = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").first.flatMap { Double($0) }
        if json {
            var obj: [String: Any] = ["threads": Threads.count, "repeats": repeats, "dtype_note": "sgemm = float32, dgemm = float64"]
            if let load { obj["load_average_1min"] = load }
            for (k, v) in results { obj[k] = v }
            let data = try JSONSerialization.data(withJSONObject: obj, options: [.prettyPrinted, .sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            print("OpenBLAS threads: \(Threads.count)   repeats: \(repeats)   load: \(load.map { String($0) } ?? "?")")
            print("measurement".padding(toLength: 36, withPad: " ", startingAt: 0) + "  median µs     GFLOP/s")
            for (k, v) in results {
                let us = (v["median_seconds"] as? Double ?? 0) * 1e6
                let gf = v["gflops"] as? Double
                print(k.padding(toLength: 36, withPad: " ", startingAt: 0)
                      + String(format: "%11.1f", us) + (gf.map { String(format: "%12.2f", $0) } ?? "           -"))
                if let bc = v["bias_broadcast_median_seconds"] as? Double {
                    print("  bias-broadcast add".padding(toLength: 36, withPad: " ", startingAt: 0) + String(format: "%11.1f", bc * 1e6))
                }
                if let r = v["recorded_mul_sum_backward_seconds"] as? Double {
                    print("  (4)·(4) mul+sum+backward".padding(toLength: 36, withPad: " ", startingAt: 0) + String(format: "%11.2f", r * 1e6))
                }
                if let f = v["forward_median_seconds"] as? Double, k.hasPrefix("attention") {
                    print("  forward only".padding(toLength: 36, withPad: " ", startingAt: 0) + String(format: "%11.1f", f * 1e6))
                }
                if let c = v["backward_cold_median_seconds"] as? Double {
                    print("  backward, cache evicted first".padding(toLength: 36, withPad: " ", startingAt: 0) + String(format: "%11.1f", c * 1e6))
                }
                if let raw = v["raw_gemms_median_seconds"] as? Double, let ratio = v["overhead_ratio"] as? Double {
                    print("  raw 3 GEMMs".padding(toLength: 36, withPad: " ", startingAt: 0)
                          + String(format: "%11.1f", raw * 1e6) + String(format: "   overhead ×%.2f", ratio))
                }
            }
        }
    }
}

private func median(_ v: [Double]) -> Double {
    let t = v.sorted()
    return t.count % 2 == 1 ? t[t.count / 2] : (t[t.count / 2 - 1] + t[t.count / 2]) / 2
}

/// Median of timed samples (seconds per call): each sample runs `body` `inner` times.
private func medianSeconds(samples: Int, inner: Int, warmUp: Bool = true, _ body: () -> Void) -> Double {
    if warmUp { body() }
    var times: [Double] = []
    times.reserveCapacity(samples)
    for _ in 0..<samples {
        let t0 = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<inner { body() }
        let t1 = DispatchTime.now().uptimeNanoseconds
        times.append(Double(t1 - t0) * 1e-9 / Double(inner))
    }
    return median(times)
}

private func gemmBench<S: TensorScalar>(_: S.Type, m: Int, k: Int, n: Int, samples: Int) -> [String: Any] {
    var rng = Xoshiro256(seed: 1)
    let a = Tensor<S>(uniform: [m, k], low: -1, high: 1, rng: &rng)
    let b = Tensor<S>(uniform: [k, n], low: -1, high: 1, rng: &rng)
    let c = Tensor<S>(zeros: [m, n])
    let flops = 2.0 * Double(m) * Double(n) * Double(k)
    let inner = max(1, Int(2e8 / flops))   // ~0.1 s per sample at 2 GFLOP/s for small shapes, 1 call for 1024³
    let t = a.withUnsafeBufferPointer { ap in
        b.withUnsafeBufferPointer { bp in
            c.withUnsafeMutableBufferPointer { cp in
                medianSeconds(samples: samples, inner: min(inner, 20)) {
                    S.gemm(transA: false, transB: false, m: m, n: n, k: k, alpha: 1, a: ap.baseAddress!, lda: k,
                           b: bp.baseAddress!, ldb: n, beta: 0, c: cp.baseAddress!, ldc: n)
                }
            }
        }
    }
    return ["m": m, "k": k, "n": n, "dtype": S.dtypeName, "median_seconds": t, "gflops": flops / t / 1e9]
}

private func linearBench(samples: Int) -> [String: Any] {
    var rng = Xoshiro256(seed: 2)
    let x = Tensor<Float>(uniform: [10, 128, 76], low: -1, high: 1, rng: &rng)
    let w = Tensor<Float>(uniform: [228, 76], low: -0.1, high: 0.1, rng: &rng)
    let b = Tensor<Float>(uniform: [228], low: -0.1, high: 0.1, rng: &rng)
    x.requiresGrad = true; w.requiresGrad = true; b.requiresGrad = true
    let seed = Tensor<Float>(ones: [10, 128, 228])
    let framework = {
        x.zeroGrad(); w.zeroGrad(); b.zeroGrad()
        linear(x, w, b).backward(seed: seed)
    }
    // The same three GEMMs on raw buffers: y = x·Wᵀ, dX = dY·W, dW = dYᵀ·x.
    let m = 1280, k = 76, n = 228
    let y = Tensor<Float>(zeros: [m, n]), gx = Tensor<Float>(zeros: [m, k]), gw = Tensor<Float>(zeros: [n, k])
    let xp = x.withUnsafeBufferPointer { $0.baseAddress! }, wp = w.withUnsafeBufferPointer { $0.baseAddress! }
    let gp = seed.withUnsafeBufferPointer { $0.baseAddress! }
    let yp = y.withUnsafeMutableBufferPointer { $0.baseAddress! }, gxp = gx.withUnsafeMutableBufferPointer { $0.baseAddress! }
    let gwp = gw.withUnsafeMutableBufferPointer { $0.baseAddress! }
    let raw = {
        Float.gemm(transA: false, transB: true, m: m, n: n, k: k, alpha: 1, a: xp, lda: k, b: wp, ldb: k, beta: 0, c: yp, ldc: n)
        Float.gemm(transA: false, transB: false, m: m, n: k, k: n, alpha: 1, a: gp, lda: n, b: wp, ldb: k, beta: 0, c: gxp, ldc: k)
        Float.gemm(transA: true, transB: false, m: n, n: k, k: m, alpha: 1, a: gp, lda: n, b: xp, ldb: k, beta: 0, c: gwp, ldc: k)
    }
    // Interleaved samples (framework, raw, framework, raw, …) so machine-load changes hit both alike.
    framework(); raw()
    var tf: [Double] = [], tr: [Double] = [], ratios: [Double] = []
    for _ in 0..<samples {
        let f = medianSeconds(samples: 1, inner: 10, warmUp: false, framework)
        let r = medianSeconds(samples: 1, inner: 10, warmUp: false, raw)
        tf.append(f); tr.append(r); ratios.append(f / r)
    }
    let t = median(tf), rawT = median(tr)
    withExtendedLifetime((x, w, seed, y, gx, gw)) {}
    let flops = 3 * 2.0 * Double(m * n * k)
    return ["x_shape": [10, 128, 76], "out_features": 228, "dtype": "float32", "median_seconds": t, "gflops": flops / t / 1e9,
            "raw_gemms_median_seconds": rawT, "overhead_ratio": median(ratios)]
}

private func addBench(samples: Int) -> [String: Any] {
    var rng = Xoshiro256(seed: 3)
    let a = Tensor<Float>(uniform: [10, 128, 228], low: -1, high: 1, rng: &rng)
    let b = Tensor<Float>(uniform: [10, 128, 228], low: -1, high: 1, rng: &rng)
    let bias = Tensor<Float>(uniform: [228], low: -1, high: 1, rng: &rng)
    let same = medianSeconds(samples: samples, inner: 20) { _ = a + b }
    let bcast = medianSeconds(samples: samples, inner: 20) { _ = a + bias }
    let bytes = Double(3 * a.count * MemoryLayout<Float>.stride)
    return ["shape": [10, 128, 228], "median_seconds": same, "bias_broadcast_median_seconds": bcast,
            "same_shape_gbytes_per_s": bytes / same / 1e9]
}

private func bmmBench(samples: Int) -> [String: Any] {
    var rng = Xoshiro256(seed: 4)
    let q = Tensor<Float>(uniform: [4864, 10, 2], low: -1, high: 1, rng: &rng)
    let k = Tensor<Float>(uniform: [4864, 10, 2], low: -1, high: 1, rng: &rng)
    q.requiresGrad = true; k.requiresGrad = true
    let seed = Tensor<Float>(ones: [4864, 10, 10])
    let fwd = medianSeconds(samples: samples, inner: 2) { _ = withNoGrad { matmul(q, k, transposeB: true) } }
    let both = medianSeconds(samples: samples, inner: 2) {
        q.zeroGrad(); k.zeroGrad()
        matmul(q, k, transposeB: true).backward(seed: seed)
    }
    return ["batch": 4864, "m": 10, "k": 2, "n": 10, "dtype": "float32", "median_seconds": both, "forward_median_seconds": fwd,
            "gflops": 3 * 2.0 * 4864 * 10 * 10 * 2 / both / 1e9]
}

/// TranAD's fused attention (38 heads of width 2, Float32 or Float64) forward+backward with dropout 0.1 on `batch` windows of
/// `queries` queries and `keys` keys, through the kernel training selects (`AttentionPath.select`), on one thread (as
/// in the trainer's workers, where BLAS runs single-threaded); the dropout mask is drawn once, outside the timing. Buffers: q (B, Lq, 76),
/// k/v (B, Lk, 152) = [k | v]; out, gradOut, dq (B, Lq, 76); dkv (B, Lk, 152).
private func attentionBench<S: AttentionScalar>(_: S.Type = Float.self, batch b: Int, queries lq: Int, keys lk: Int,
                                                samples: Int) -> [String: Any] {
    let (h, d) = (38, 76)
    let s = AttentionShape(batch: b, queryLength: lq, keyLength: lk, heads: h, headDim: 2)
    let path = AttentionPath.select(for: AttentionCall(S.self, s, keepsWeights: true, dropout: true))
    let threads = 1
    var rng = Xoshiro256(seed: 7)
    func buffer(_ n: Int) -> UnsafeMutablePointer<S> {
        let p = UnsafeMutablePointer<S>.allocate(capacity: n)
        for i in 0..<n { p[i] = S(rng.nextUnitDouble() * 2 - 1) }
        return p
    }
    let q = buffer(b * lq * d), kv = buffer(b * lk * 2 * d), out = buffer(b * lq * d), gradOut = buffer(b * lq * d)
    let dq = buffer(b * lq * d), dkv = buffer(b * lk * 2 * d)
    let mask = UnsafeMutablePointer<S>.allocate(capacity: path.maskCount(s))
    let probs = UnsafeMutablePointer<S>.allocate(capacity: max(path.weightCount(s), 1))
    defer { for p in [q, kv, out, gradOut, dq, dkv, mask, probs] { p.deallocate() } }
    path.fillDropoutMask(mask, s, p: 0.1, rng: &rng, threads: threads)
    let (qo, ko, vo) = (AttentionOperand(base: q, stride: d, offset: 0), AttentionOperand(base: kv, stride: 2 * d, offset: 0),
                        AttentionOperand(base: kv, stride: 2 * d, offset: d))
    let (dqo, dko, dvo) = (AttentionOperand(base: dq, stride: d, offset: 0), AttentionOperand(base: dkv, stride: 2 * d, offset: 0),
                           AttentionOperand(base: dkv, stride: 2 * d, offset: d))
    let both = medianSeconds(samples: samples, inner: 4) {
        S.attentionForward(path, s, q: qo, k: ko, v: vo, out: out, probs: probs, mask: mask, threads: threads)
        S.attentionBackward(path, s, q: qo, k: ko, v: vo, probs: probs, mask: mask, gradOut: gradOut,
                                dq: dqo, dk: dko, dv: dvo, threads: threads)
    }
    let forward = medianSeconds(samples: samples, inner: 4) {
        S.attentionForward(path, s, q: qo, k: ko, v: vo, out: out, probs: probs, mask: mask, threads: threads)
    }
    // The backward as training runs it: long after the forward, its operands out of cache. Between the forward and
    // the timed backward, 64 MB (twice the host's L3 of 32 MB) are written and read back.
    let evict = UnsafeMutablePointer<UInt64>.allocate(capacity: coldCacheEvictionWords)
    evict.initialize(repeating: 0, count: coldCacheEvictionWords)
    defer { evict.deallocate() }
    var backwardCold: [Double] = []
    for sample in 0..<max(samples / 4, 3) {
        S.attentionForward(path, s, q: qo, k: ko, v: vo, out: out, probs: probs, mask: mask, threads: threads)
        var acc: UInt64 = 0
        for w in 0..<coldCacheEvictionWords { evict[w] &+= UInt64(sample); acc &+= evict[w] }
        let t0 = DispatchTime.now().uptimeNanoseconds
        S.attentionBackward(path, s, q: qo, k: ko, v: vo, probs: probs, mask: mask, gradOut: gradOut,
                            dq: dqo, dk: dko, dv: dvo, threads: threads)
        backwardCold.append(Double(DispatchTime.now().uptimeNanoseconds - t0) * 1e-9)
        if acc == 1 { print("", terminator: "") }  // keeps the eviction pass from being optimised away
    }
    return ["batch": b, "queries": lq, "keys": lk, "heads": h, "head_dim": 2, "dtype": S.dtypeName, "path": path.rawValue,
            "threads": threads, "median_seconds": both, "forward_median_seconds": forward,
            "backward_cold_median_seconds": median(backwardCold)]
}

/// Words of the buffer the cold-cache measurements stream through (64 MB).
private let coldCacheEvictionWords = 8 << 20

private func tinyBench(samples: Int) -> [String: Any] {
    let a = Tensor<Float>(shape: [4], scalars: [1, 2, 3, 4]), b = Tensor<Float>(shape: [4], scalars: [4, 3, 2, 1])
    let add = medianSeconds(samples: samples, inner: 2000) { _ = a + b }
    let p = Tensor<Float>(shape: [4], scalars: [1, 2, 3, 4])
    p.requiresGrad = true
    let rec = medianSeconds(samples: samples, inner: 1000) {
        p.zeroGrad()
        (p * b).sum().backward()
    }
    return ["median_seconds": add, "recorded_mul_sum_backward_seconds": rec]
}

/// One TranAD-style encoder layer from plain ops: self-attention (38 heads of size 2) + residual,
/// feed-forward 76 → 16 → 76 with leaky ReLU + residual, dropout 0.1; loss = mean of squares.
private func encoderBench(samples: Int) -> [String: Any] {
    let W = 10, B = 128, D = 76, H = 38, dh = 2, FF = 16
    var rng = Xoshiro256(seed: 5)
    func param(_ shape: [Int]) -> Tensor<Float> {
        let t = Tensor<Float>(uniform: shape, low: -0.1, high: 0.1, rng: &rng); t.requiresGrad = true; return t
    }
    let wIn = param([3 * D, D]), bIn = param([3 * D]), wOut = param([D, D]), bOut = param([D])
    let w1 = param([FF, D]), b1 = param([FF]), w2 = param([D, FF]), b2 = param([D])
    let x = Tensor<Float>(uniform: [W, B, D], low: -1, high: 1, rng: &rng)
    var drop = Xoshiro256(seed: 6)
    let params = [wIn, bIn, wOut, bOut, w1, b1, w2, b2]
    func heads(_ t: Tensor<Float>) -> Tensor<Float> {          // (W, B, D) → (B·H, W, dh)
        t.reshaped([W, B * H, dh]).transposed(0, 1)
    }
    let t = medianSeconds(samples: samples, inner: 1) {
        for p in params { p.zeroGrad() }
        let qkv = linear(x, wIn, bIn)                                  // (W, B, 3D)
        let parts = split(qkv, sizes: [D, D, D], axis: 2)
        let q = heads(parts[0]) / Float(dh).squareRoot(), k = heads(parts[1]), v = heads(parts[2])
        let att = dropout(softmax(matmul(q, k, transposeB: true)), p: 0.1, rng: &drop, training: true)  // (B·H, W, W)
        let ctx = matmul(att, v).transposed(0, 1).reshaped([W, B, D])
        let h = x + dropout(linear(ctx, wOut, bOut), p: 0.1, rng: &drop, training: true)
        let ff = linear(dropout(leakyReLU(linear(h, w1, b1), slope: 0.01), p: 0.1, rng: &drop, training: true), w2, b2)
        let out = h + dropout(ff, p: 0.1, rng: &drop, training: true)
        square(out).mean().backward()
    }
    return ["x_shape": [W, B, D], "heads": H, "dim_feedforward": FF, "dtype": "float32", "median_seconds": t]
}
