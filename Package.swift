// swift-tools-version:6.0
// Vigil: multivariate time-series anomaly detection harness (TranAD, Isolation Forest, POT, metrics).
//
// Layers (a lower module never imports a higher one):
//   CBLAS/CHDF5 (system), VigilRandom → VigilTensor → VigilNN → VigilTranAD / VigilIsolationForest
//   → VigilBaselines (pca, knn, l2_norm, range_deviation, random, untrained_tranad)
//   → VigilScores (detectors, score sets, segment attribution) → VigilThresholds → VigilMetrics
//   → VigilConfig (run configs: schema, YAML, overrides)
//   → VigilResults (the files of runs and sweeps) → VigilReport (Markdown and HTML reports)
//   → VigilExport (serving bundles: model.ckpt, model.h5, scorer_state.json; `vigil score --model`'s scoring)
//   → VigilExperiments (`vigil run`: units, executors, re-evaluation) → VigilSweep (sweeps, Slurm)
//   → VigilCLI (commands) → vigil (the executable: main.swift only).
//   VigilIO is the bottom layer of all file output: atomic files, staging directories, stale-file cleanup,
//   input/output identity, SHA-256 (swift-crypto), checked header sizes. It imports only Crypto.
//   VigilHDF5 and VigilData sit on VigilIO beside the tensor core: they read and write arrays, nothing more.
//   VigilPyTorch (PyTorch's zip checkpoint format, CZlib only) sits there too: bytes in, bytes out.
import PackageDescription

let package = Package(
    name: "Vigil",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "vigil", targets: ["vigil"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-numerics", from: "1.1.1"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS"),
        .systemLibrary(name: "CHDF5", path: "Sources/CHDF5"),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib"),

        .target(name: "VigilRandom", dependencies: [.product(name: "RealModule", package: "swift-numerics")]),
        .target(name: "VigilIO", dependencies: [.product(name: "Crypto", package: "swift-crypto")]),
        .target(name: "VigilTensor", dependencies: ["CBLAS", "VigilRandom", .product(name: "RealModule", package: "swift-numerics")]),
        .target(name: "VigilNN", dependencies: ["VigilTensor", .product(name: "RealModule", package: "swift-numerics")]),
        .target(name: "VigilHDF5", dependencies: ["CHDF5", "VigilIO"]),
        .target(name: "VigilData", dependencies: ["VigilHDF5", "VigilIO", "CZlib", "VigilRandom"]),
        .target(name: "VigilPyTorch", dependencies: ["CZlib"]),
        .target(name: "VigilTranAD", dependencies: [
            "VigilNN", "VigilTensor", "VigilHDF5", "VigilData", .product(name: "RealModule", package: "swift-numerics"),
        ]),
        .target(name: "VigilIsolationForest", dependencies: [
            "VigilHDF5", "VigilIO", "VigilRandom", .product(name: "RealModule", package: "swift-numerics"),
        ]),
        .target(name: "VigilBaselines", dependencies: ["CBLAS", "VigilData", "VigilHDF5", "VigilRandom", "VigilTranAD"]),
        .target(name: "VigilScores", dependencies: ["VigilData", "VigilHDF5", "VigilTranAD", "VigilIsolationForest", "VigilBaselines"]),
        .target(name: "VigilThresholds", dependencies: []),
        .target(name: "VigilMetrics", dependencies: ["VigilThresholds"]),
        .target(name: "VigilConfig", dependencies: [
            "VigilData", "VigilIO", "VigilTranAD", "VigilIsolationForest", "VigilThresholds", .product(name: "Yams", package: "Yams"),
        ]),
        .target(name: "VigilResults", dependencies: ["VigilMetrics", "VigilThresholds", "VigilHDF5", "VigilScores"]),
        .target(name: "VigilReport", dependencies: ["VigilResults", "VigilScores", "VigilHDF5", "VigilMetrics"]),
        .target(name: "VigilExport", dependencies: [
            "VigilIO", "VigilHDF5", "VigilData", "VigilPyTorch", "VigilTranAD", "VigilIsolationForest", "VigilBaselines", "VigilScores",
            "VigilThresholds", "VigilMetrics", "VigilResults",
        ]),
        .target(name: "VigilExperiments", dependencies: [
            "CBLAS", "VigilIO", "VigilData", "VigilHDF5", "VigilTranAD", "VigilIsolationForest", "VigilBaselines", "VigilScores",
            "VigilThresholds", "VigilMetrics", "VigilConfig", "VigilResults", "VigilReport", "VigilExport",
        ]),
        .target(name: "VigilSweep", dependencies: [
            "VigilExperiments", "VigilIO", "VigilConfig", "VigilResults", "VigilReport", "VigilData", "VigilMetrics", "VigilRandom",
        ]),
        .target(
            name: "VigilCLI",
            dependencies: [
                "VigilRandom", "VigilTensor", "VigilNN", "VigilIO", "VigilHDF5", "VigilData", "VigilTranAD", "VigilIsolationForest",
                "VigilScores", "VigilThresholds", "VigilMetrics", "VigilExperiments", "VigilConfig", "VigilResults", "VigilReport",
                "VigilSweep", "VigilExport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(name: "vigil", dependencies: ["VigilCLI"]),

        .executableTarget(
            name: "VigilBaselinesBench",
            dependencies: ["VigilBaselines", "VigilData", "VigilMetrics", "VigilScores",
                           .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),

        .target(name: "VigilTestSupport", dependencies: ["VigilExperiments", "VigilConfig", "VigilResults"], path: "Tests/VigilTestSupport"),
        .testTarget(name: "VigilIOTests", dependencies: ["VigilIO"]),
        .testTarget(name: "VigilRandomTests", dependencies: ["VigilRandom"]),
        .testTarget(name: "VigilTensorTests", dependencies: ["VigilTensor", "VigilRandom"]),
        .testTarget(name: "VigilNNTests", dependencies: ["VigilNN", "VigilTensor", "VigilRandom"]),
        .testTarget(name: "VigilHDF5Tests", dependencies: ["VigilHDF5"]),
        .testTarget(name: "VigilDataTests", dependencies: ["VigilData", "VigilHDF5", "VigilIO"]),
        .testTarget(name: "VigilPyTorchTests", dependencies: ["VigilPyTorch"], resources: [.copy("Goldens")]),
        .testTarget(name: "VigilTranADTests", dependencies: ["VigilTranAD", "VigilNN", "VigilTensor", "VigilData", "VigilRandom"],
                    resources: [.copy("Goldens")]),
        .testTarget(name: "VigilIsolationForestTests", dependencies: ["VigilIsolationForest", "VigilHDF5", "VigilRandom"],
                    resources: [.copy("Goldens")]),
        .testTarget(name: "VigilThresholdsTests", dependencies: ["VigilThresholds"],
                    resources: [.copy("Goldens")]),
        .testTarget(name: "VigilMetricsTests", dependencies: ["VigilMetrics"],
                    resources: [.copy("Goldens")]),
        .testTarget(name: "VigilBaselinesTests", dependencies: ["VigilBaselines", "VigilData", "VigilHDF5", "VigilRandom", "VigilTranAD"],
                    resources: [.copy("Goldens")]),
        .testTarget(name: "VigilScoresTests", dependencies: ["VigilScores", "VigilData", "VigilHDF5", "VigilBaselines"]),
        .testTarget(name: "VigilConfigTests", dependencies: ["VigilConfig", "VigilTranAD"]),
        .testTarget(name: "VigilReportTests", dependencies: [
            "VigilReport", "VigilResults", "VigilScores", "VigilHDF5", "VigilMetrics", "VigilExperiments", "VigilTranAD",
        ]),
        .testTarget(name: "VigilExperimentsTests", dependencies: [
            "VigilTestSupport",
            "VigilExperiments", "VigilConfig", "VigilResults", "VigilData", "VigilScores", "VigilHDF5", "VigilMetrics", "VigilThresholds",
            "VigilTranAD", "VigilExport",
        ]),
        .testTarget(name: "VigilSweepTests", dependencies: ["VigilSweep", "VigilTestSupport", "VigilExperiments", "VigilConfig", "VigilResults"]),
        .testTarget(name: "VigilCLITests", dependencies: [
            "VigilCLI", "vigil", "VigilTestSupport", "VigilIO", "VigilHDF5", "VigilData", "VigilTranAD", "VigilIsolationForest",
            "VigilResults", "VigilExperiments", "VigilExport", "VigilScores", "VigilPyTorch",
        ]),
        .testTarget(name: "VigilExportTests", dependencies: [
            "VigilExport", "VigilIO", "VigilHDF5", "VigilData", "VigilTranAD", "VigilIsolationForest", "VigilBaselines",
            "VigilScores", "VigilThresholds", "VigilMetrics", "VigilResults", "VigilPyTorch",
        ]),
    ],
    swiftLanguageModes: [.v5]
)

// The numerical kernels' SIMD paths (SIMD8<Float>, SIMD4<Double>, the vectorised loops) are compiled for
// x86-64-v3 (`-target-cpu haswell`: AVX2, FMA, BMI2; Intel 2013 and later, every AMD Zen, every AVX-512 host): the default x86-64 baseline
// target is SSE2 only, which splits every 8-lane operation in two and leaves AVX2/AVX-512 hosts half idle.
// Every target but the `vigil` executable (main.swift only) gets the flag; main.swift checks the CPU first
// and exits with a message on a CPU without these instructions. Build for such a CPU with
// `VIGIL_TARGET_CPU=x86-64 swift build` (any LLVM CPU name; "native" for this machine). Results do not depend
// on it: Swift never contracts a·b + c into an FMA by itself, and the kernels that use FMA call it explicitly.
#if arch(x86_64)
let vigilTargetCPU = Context.environment["VIGIL_TARGET_CPU"] ?? "haswell"
for target in package.targets where target.type != .system && target.name != "vigil" && !vigilTargetCPU.isEmpty {
    target.swiftSettings = (target.swiftSettings ?? []) + [.unsafeFlags(["-target-cpu", vigilTargetCPU])]
}
#endif
