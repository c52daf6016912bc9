// HDF5 layout of the fitted baselines (readable with h5py). Every baseline group G carries
//   G@format  = "vigil-baseline-<key>"   (pca, knn, l2-norm, range-deviation, random, untrained-tranad)
//   G@version = 1                        (readers accept 1…their own version)
//   G@model   = the model key            (pca, knn, l2_norm, range_deviation, random, untrained_tranad)
//   G/features  int64 scalar             column count F the model scores (also creates the group)
// and per model:
//   pca               G@components ("variance:0.95" | "count:K"), G@kept (K), G@training_rows,
//                     G/mean float64 (F,), G/eigenvalues float64 (F,) descending,
//                     G/components float64 (F, F): row j = principal axis j (sklearn's components_, all F rows;
//                     checked orthonormal to 1e-8 on reading)
//   knn               G@k, G@max_samples, G@seed (decimal string: UInt64), G@training_rows,
//                     G/reference float64 (M, F) sampled training rows, G/sample_indices int64 (M,) ascending
//   l2_norm           nothing more
//   range_deviation   G/minimum, G/maximum float64 (F,)
//   random            G@seed (decimal string)
//   untrained_tranad  G@config_json (TranADConfig, JSON), G/parameters/<state_dict key> in the model precision
// Everything read back is validated (shapes against F, finite values, index ranges, K ≤ F, k ≤ M) and a
// failure throws `BaselineError.corruptModel` / `.unsupportedFormat` naming the group.
import Foundation
import VigilHDF5
import VigilTranAD

extension PCABaseline {
    public func write(to file: HDF5File, group: String) throws {
        let g = groupPath(group)
        try writeHeader(Self.self, features: features, to: file, group: g)
        try file.write(mean, shape: [features], to: "\(g)/mean")
        try file.write(eigenvalues, shape: [features], to: "\(g)/eigenvalues")
        try file.write(components, shape: [features, features], to: "\(g)/components")
        try file.setAttribute("components", string: configuration.spec, at: g)
        try file.setAttribute("kept", int: kept, at: g)
        try file.setAttribute("training_rows", int: trainingRows, at: g)
    }

    public init(from file: HDF5File, group: String) throws {
        let g = groupPath(group)
        let f = try readHeader(Self.self, from: file, group: g)
        guard f <= 65_536 else { throw BaselineError.corruptModel(group: g, what: "features \(f) exceeds 65536") }
        let spec = try file.stringAttribute("components", at: g)
        guard let config = Configuration(spec: spec) else { throw BaselineError.corruptModel(group: g, what: "components '\(spec)'") }
        let kept = try file.intAttribute("kept", at: g)
        guard kept >= 0, kept <= f else { throw BaselineError.corruptModel(group: g, what: "kept \(kept) is outside 0…\(f)") }
        let rows = try file.intAttribute("training_rows", at: g)
        guard rows >= 2 else { throw BaselineError.corruptModel(group: g, what: "training_rows \(rows) < 2") }
        let mean = try readArray(file, "\(g)/mean", shape: [f], group: g)
        let eig = try readArray(file, "\(g)/eigenvalues", shape: [f], group: g)
        let comps = try readArray(file, "\(g)/components", shape: [f, f], group: g)
        guard zip(eig, eig.dropFirst()).allSatisfy({ $0 >= $1 }) else {
            throw BaselineError.corruptModel(group: g, what: "eigenvalues must be in descending order")
        }
        // The residual formula needs an orthonormal basis: |V Vᵀ − I| ≤ 1e-8 entrywise (O(F³), 55k flops at F = 38).
        for i in 0..<f {
            for j in i..<f {
                var dot = 0.0
                for c in 0..<f { dot += comps[i * f + c] * comps[j * f + c] }
                guard abs(dot - (i == j ? 1 : 0)) <= 1e-8 else {
                    throw BaselineError.corruptModel(group: g, what: "components are not orthonormal (rows \(i), \(j): dot \(dot))")
                }
            }
        }
        self.init(configuration: config, features: f, mean: mean, eigenvalues: eig, components: comps, kept: kept, trainingRows: rows)
    }
}

extension KNNBaseline {
    public func write(to file: HDF5File, group: String) throws {
        let g = groupPath(group)
        try writeHeader(Self.self, features: features, to: file, group: g)
        try file.write(reference, shape: [sampleCount, features], to: "\(g)/reference")
        try file.write(sampleIndices.map(Int64.init), shape: [sampleCount], to: "\(g)/sample_indices")
        try file.setAttribute("k", int: configuration.k, at: g)
        try file.setAttribute("max_samples", int: configuration.maxSamples, at: g)
        try file.setAttribute("seed", string: String(configuration.seed), at: g)
        try file.setAttribute("training_rows", int: trainingRows, at: g)
    }

    public init(from file: HDF5File, group: String) throws {
        let g = groupPath(group)
        let f = try readHeader(Self.self, from: file, group: g)
        let k = try file.intAttribute("k", at: g), maxSamples = try file.intAttribute("max_samples", at: g)
        let seedText = try file.stringAttribute("seed", at: g)
        guard let seed = UInt64(seedText) else { throw BaselineError.corruptModel(group: g, what: "seed '\(seedText)'") }
        let rows = try file.intAttribute("training_rows", at: g)
        let (idx64, idxShape) = try file.read(Int64.self, from: "\(g)/sample_indices")
        let m = idx64.count
        guard idxShape == [m], m >= 1, m <= Int(Int32.max), k >= 1, k <= m, maxSamples >= m, rows >= m else {
            throw BaselineError.corruptModel(group: g, what: "k \(k), max_samples \(maxSamples), \(m) sample indices and training_rows \(rows) do not agree")
        }
        guard idx64.first! >= 0, idx64.last! < Int64(rows), zip(idx64, idx64.dropFirst()).allSatisfy({ $0 < $1 }) else {
            throw BaselineError.corruptModel(group: g, what: "sample_indices must ascend strictly within 0..<training_rows")
        }
        guard checkedProduct(m, f) != nil else { throw BaselineError.corruptModel(group: g, what: "reference size overflows") }
        let ref = try readArray(file, "\(g)/reference", shape: [m, f], group: g)
        self.init(configuration: Configuration(k: k, maxSamples: maxSamples, seed: seed), features: f, reference: ref,
                      sampleIndices: idx64.map { Int($0) }, trainingRows: rows)
    }
}

extension L2NormBaseline {
    public func write(to file: HDF5File, group: String) throws {
        try writeHeader(Self.self, features: features, to: file, group: groupPath(group))
    }

    public init(from file: HDF5File, group: String) throws {
        self.init(features: try readHeader(Self.self, from: file, group: groupPath(group)))
    }
}

extension RangeDeviationBaseline {
    public func write(to file: HDF5File, group: String) throws {
        let g = groupPath(group)
        try writeHeader(Self.self, features: features, to: file, group: g)
        try file.write(minimum, shape: [features], to: "\(g)/minimum")
        try file.write(maximum, shape: [features], to: "\(g)/maximum")
    }

    public init(from file: HDF5File, group: String) throws {
        let g = groupPath(group)
        let f = try readHeader(Self.self, from: file, group: g)
        let lo = try readArray(file, "\(g)/minimum", shape: [f], group: g)
        let hi = try readArray(file, "\(g)/maximum", shape: [f], group: g)
        guard zip(lo, hi).allSatisfy({ $0 <= $1 }) else { throw BaselineError.corruptModel(group: g, what: "a minimum exceeds its maximum") }
        self.init(minimum: lo, maximum: hi)
    }
}

extension RandomScoresBaseline {
    public func write(to file: HDF5File, group: String) throws {
        let g = groupPath(group)
        try writeHeader(Self.self, features: features, to: file, group: g)
        try file.setAttribute("seed", string: String(configuration.seed), at: g)
    }

    public init(from file: HDF5File, group: String) throws {
        let g = groupPath(group)
        let f = try readHeader(Self.self, from: file, group: g)
        let seedText = try file.stringAttribute("seed", at: g)
        guard let seed = UInt64(seedText) else { throw BaselineError.corruptModel(group: g, what: "seed '\(seedText)'") }
        self.init(features: f, configuration: Configuration(seed: seed))
    }
}

extension UntrainedTranADBaseline {
    public func write(to file: HDF5File, group: String) throws {
        let g = groupPath(group)
        try writeHeader(Self.self, features: features, to: file, group: g)
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        try file.setAttribute("config_json", string: String(decoding: try enc.encode(configuration.tranad), as: UTF8.self), at: g)
        for p in trainer.exportParameters() {
            let path = "\(g)/parameters/\(p.name)"
            if configuration.tranad.precision == .float32 {
                try file.write(p.values.map { Float($0) }, shape: p.shape, to: path)
            } else {
                try file.write(p.values, shape: p.shape, to: path)
            }
        }
    }

    public init(from file: HDF5File, group: String) throws {
        try self.init(from: file, group: group, workers: nil)
    }

    /// Reads a stored model that scores on `workers` threads (default: every core).
    public init(from file: HDF5File, group: String, workers: Int?) throws {
        let g = groupPath(group)
        let f = try readHeader(Self.self, from: file, group: g)
        guard f <= 4096 else { throw BaselineError.corruptModel(group: g, what: "features \(f) exceeds 4096") }
        let config: TranADConfig
        do {
            config = try JSONDecoder().decode(TranADConfig.self, from: Data(try file.stringAttribute("config_json", at: g).utf8))
        } catch let e as HDF5Error { throw e } catch {
            throw BaselineError.corruptModel(group: g, what: "config_json does not decode as a TranAD configuration (\(error))")
        }
        guard config.window >= 1, config.window <= 100_000, config.feedForward >= 1, config.feedForward <= 1 << 20 else {
            throw BaselineError.corruptModel(group: g, what: "config_json has window \(config.window), feed_forward \(config.feedForward)")
        }
        if let w = workers, w < 1 {
            throw BaselineError.invalidParameter(model: Self.key, name: "workers", value: "\(w)", allowed: "at least 1")
        }
        let trainer = try TranADTrainer(features: f, config: config, workers: workers)
        var values: [String: [Double]] = [:]
        for (name, shape) in trainer.namedParameterShapes {
            let path = "\(g)/parameters/\(name)"
            guard file.contains(path) else { throw BaselineError.corruptModel(group: g, what: "parameter '\(name)' is missing") }
            let (v, s) = try file.read(Double.self, from: path)
            guard s == shape else { throw BaselineError.corruptModel(group: g, what: "parameter '\(name)' has shape \(s), expected \(shape)") }
            guard v.allSatisfy({ $0.isFinite }) else { throw BaselineError.corruptModel(group: g, what: "parameter '\(name)' is not finite") }
            values[name] = v
        }
        try trainer.loadParameters(values)
        self.init(configuration: Configuration(tranad: config, workers: workers), trainer: trainer)
    }
}
