// Seeded synthetic anomalies injected into clean (training) rows, so a model can be judged without test labels:
// the validation block of a sweep trial gets known anomalies and a model is scored on how well it ranks them
// (synthetic-injection model selection, Goswami et al., "Unsupervised Model Selection for Time-series Anomaly
// Detection", ICLR 2023). Only training data is read.
import VigilRandom

/// A kind of injected anomaly. σ_d is the population standard deviation of dimension d in the reference rows
/// (the rows the model was fitted on), floored at 0.01 so constant dimensions still get visible anomalies.
public enum SyntheticAnomalyKind: String, CaseIterable, Codable, Sendable {
    /// One row: x_d += s·a·σ_d with a ~ U(4, 8) and s = ±1 (a point outlier).
    case spike
    /// A segment: x_d += s·a·σ_d with a ~ U(2, 4) for every row of the segment (a level shift).
    case levelShift = "level_shift"
    /// A segment: x_d += ε, ε ~ N(0, (a·σ_d)²) with a ~ U(2, 4) drawn per row (a variance change).
    case variance
    /// A segment: x_d := x_d at the segment's first row (a stuck sensor).
    case flatline
}

/// Where anomalies were injected and what they were.
public struct InjectedAnomaly: Codable, Equatable, Sendable {
    public var kind: SyntheticAnomalyKind
    /// Rows [start, end) of the block.
    public var start: Int
    public var end: Int
    /// Affected dimensions (0-based, sorted).
    public var dimensions: [Int]
}

/// Injection settings.
public struct SyntheticAnomalySettings: Codable, Equatable, Sendable {
    /// Kinds drawn uniformly for each anomaly.
    public var kinds: [SyntheticAnomalyKind]
    /// Target fraction of the block's rows inside an anomaly (segments are added until it is reached).
    public var rate: Double
    /// Segment length for the segment kinds: uniform in [minLength, maxLength], capped at a tenth of the block.
    public var minLength: Int
    public var maxLength: Int

    public init(kinds: [SyntheticAnomalyKind] = SyntheticAnomalyKind.allCases, rate: Double = 0.05, minLength: Int = 5,
                maxLength: Int = 50) {
        self.kinds = kinds; self.rate = rate; self.minLength = minLength; self.maxLength = maxLength
    }
}

/// Injects seeded synthetic anomalies.
public enum SyntheticAnomalies {
    /// Returns a copy of `block` (n × D) with anomalies injected, its 0/1 labels (n) and the list of anomalies.
    /// Anomalies do not overlap; each affects 1…max(1, D/4) dimensions drawn without replacement. `reference`
    /// (rows × D, the rows the model was fitted on) gives σ_d. Deterministic for a seed.
    public static func inject(into block: DataMatrix, reference: DataMatrix, settings: SyntheticAnomalySettings,
                              seed: UInt64) -> (data: DataMatrix, labels: [UInt8], anomalies: [InjectedAnomaly]) {
        precondition(block.cols == reference.cols, "SyntheticAnomalies: block and reference widths differ")
        var out = block
        var labels = [UInt8](repeating: 0, count: block.rows)
        var anomalies: [InjectedAnomaly] = []
        let n = block.rows, d = block.cols
        guard n > 0, d > 0, !settings.kinds.isEmpty, settings.rate > 0 else { return (out, labels, anomalies) }
        let sigma = standardDeviations(reference)
        var rng = Xoshiro256(seed: seed).fork(stream: 0x5EED)
        let target = Int((settings.rate * Double(n)).rounded(.up))
        let maxLen = max(1, min(settings.maxLength, n / 10))
        let minLen = max(1, min(settings.minLength, maxLen))
        var covered = 0, attempts = 0
        while covered < target && attempts < 100 * max(1, target) {
            attempts += 1
            let kind = settings.kinds[rng.nextInt(below: settings.kinds.count)]
            let len = kind == .spike ? 1 : minLen + rng.nextInt(below: maxLen - minLen + 1)
            guard len <= n else { continue }
            let start = rng.nextInt(below: n - len + 1)
            // keep one clean row between anomalies so they stay separate events
            let lo = max(0, start - 1), hi = min(n, start + len + 1)
            if labels[lo..<hi].contains(1) { continue }
            let k = 1 + rng.nextInt(below: max(1, d / 4))
            var dims = Array(0..<d)
            for i in 0..<k { dims.swapAt(i, i + rng.nextInt(below: d - i)) }
            let chosen = Array(dims[0..<k]).sorted()
            for c in chosen {
                let s = sigma[c]
                let sign: Double = rng.nextInt(below: 2) == 0 ? -1 : 1
                switch kind {
                case .spike:
                    out[start, c] += sign * uniform(&rng, 4, 8) * s
                case .levelShift:
                    let a = sign * uniform(&rng, 2, 4) * s
                    for r in start..<(start + len) { out[r, c] += a }
                case .variance:
                    let a = uniform(&rng, 2, 4) * s
                    for r in start..<(start + len) { out[r, c] += a * normal(&rng) }
                case .flatline:
                    let v = out[start, c]
                    for r in start..<(start + len) { out[r, c] = v }
                }
            }
            for r in start..<(start + len) { labels[r] = 1 }
            covered += len
            anomalies.append(InjectedAnomaly(kind: kind, start: start, end: start + len, dimensions: chosen))
        }
        anomalies.sort { $0.start < $1.start }
        return (out, labels, anomalies)
    }

    /// Population standard deviation of every column, floored at 0.01.
    static func standardDeviations(_ m: DataMatrix) -> [Double] {
        guard m.rows > 0 else { return [Double](repeating: 0.01, count: m.cols) }
        var mean = [Double](repeating: 0, count: m.cols), sq = mean
        for r in 0..<m.rows { for c in 0..<m.cols { mean[c] += m[r, c] } }
        for c in 0..<m.cols { mean[c] /= Double(m.rows) }
        for r in 0..<m.rows { for c in 0..<m.cols { let x = m[r, c] - mean[c]; sq[c] += x * x } }
        return sq.map { max(0.01, ($0 / Double(m.rows)).squareRoot()) }
    }

    static func uniform(_ rng: inout Xoshiro256, _ a: Double, _ b: Double) -> Double { a + (b - a) * rng.nextUnitDouble() }

    static func normal(_ rng: inout Xoshiro256) -> Double { rng.nextGaussian() }
}
