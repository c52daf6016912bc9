// swift-tools-version:6.0
// Vigil: multivariate time-series anomaly detection harness (TranAD, Isolation Forest, POT, metrics).
//
// Layers (a lower module never imports a higher one):
//   CBLAS/CHDF5 (system), VigilRandom → VigilTensor → VigilNN → VigilTranAD / VigilIsolationForest
//   → VigilBaselines (pca, knn, l2_norm, range_deviation, random, untrained_tranad)
//   → VigilScores → VigilThresholds → VigilMetrics → VigilExperiments (run, report, export) → VigilCLI (commands)
//   → vigil (the executable: main.swift only).
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
    ],
    targets: [
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS"),
        .systemLibrary(name: "CHDF5", path: "Sources/CHDF5"),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib"),

        .target(name: "VigilRandom"),
        .target(name: "VigilTensor", dependencies: ["CBLAS", "VigilRandom"]),
        .target(name: "VigilNN", dependencies: ["VigilTensor"]),
        .target(name: "VigilIO", dependencies: [.product(name: "Crypto", package: "swift-crypto")]),
        .target(name: "VigilHDF5", dependencies: ["CHDF5", "VigilIO"]),
        .target(name: "VigilData", dependencies: ["VigilHDF5", "VigilIO", "CZlib"]),
        .target(name: "VigilPyTorch", dependencies: ["CZlib"]),
        .target(name: "VigilTranAD", dependencies: ["VigilNN", "VigilTensor", "VigilHDF5", "VigilData"]),
        .target(name: "VigilIsolationForest", dependencies: ["VigilHDF5", "VigilIO", "VigilRandom"]),
        .target(name: "VigilBaselines", dependencies: ["CBLAS", "VigilData", "VigilHDF5", "VigilRandom", "VigilTranAD"]),
        .target(name: "VigilScores", dependencies: ["VigilData", "VigilHDF5", "VigilTranAD", "VigilIsolationForest", "VigilBaselines"]),
        .target(name: "VigilThresholds", dependencies: []),
        .target(name: "VigilMetrics", dependencies: ["VigilThresholds"]),
        .target(name: "VigilExperiments", dependencies: [
            "VigilData", "VigilHDF5", "VigilIO", "VigilTranAD", "VigilIsolationForest", "VigilScores", "VigilThresholds", "VigilMetrics",
        ]),
        .target(
            name: "VigilCLI",
            dependencies: [
                "VigilRandom", "VigilTensor", "VigilNN", "VigilIO", "VigilHDF5", "VigilData", "VigilTranAD", "VigilIsolationForest",
                "VigilScores", "VigilThresholds", "VigilMetrics", "VigilExperiments",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(name: "vigil", dependencies: ["VigilCLI"]),

        .executableTarget(
            name: "VigilBaselinesBench",
            dependencies: ["VigilBaselines", "VigilData", "VigilMetrics", "VigilScores",
                           .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),

        .testTarget(name: "VigilIOTests", dependencies: ["VigilIO"]),
        .testTarget(name: "VigilRandomTests", dependencies: ["VigilRandom"]),
        .testTarget(name: "VigilTensorTests", dependencies: ["VigilTensor"]),
        .testTarget(name: "VigilNNTests", dependencies: ["VigilNN", "VigilTensor"]),
        .testTarget(name: "VigilHDF5Tests", dependencies: ["VigilHDF5"]),
        .testTarget(name: "VigilDataTests", dependencies: ["VigilData", "VigilHDF5", "VigilIO"]),
        .testTarget(name: "VigilPyTorchTests", dependencies: ["VigilPyTorch"], resources: [.copy("Goldens")]),
        .testTarget(name: "VigilTranADTests", dependencies: ["VigilTranAD", "VigilNN", "VigilTensor", "VigilData"],
                    resources: [.copy("Goldens")]),
        .testTarget(name: "VigilIsolationForestTests", dependencies: ["VigilIsolationForest", "VigilHDF5"]),
        .testTarget(name: "VigilThresholdsTests", dependencies: ["VigilThresholds"],
                    resources: [.copy("Goldens")]),
        .testTarget(name: "VigilMetricsTests", dependencies: ["VigilMetrics"],
                    resources: [.copy("Goldens")]),
        .testTarget(name: "VigilBaselinesTests", dependencies: ["VigilBaselines", "VigilData", "VigilHDF5", "VigilRandom", "VigilTranAD"],
                    resources: [.copy("Goldens")]),
        .testTarget(name: "VigilScoresTests", dependencies: ["VigilScores", "VigilData", "VigilHDF5", "VigilBaselines"]),
        .testTarget(name: "VigilCLITests", dependencies: [
            "VigilCLI", "vigil", "VigilIO", "VigilHDF5", "VigilData", "VigilTranAD", "VigilIsolationForest",
        ]),
        .testTarget(name: "VigilExperimentsTests", dependencies: [
            "VigilExperiments", "VigilData", "VigilScores", "VigilHDF5", "VigilMetrics", "VigilThresholds", "VigilTranAD",
        ]),
    ],
    swiftLanguageModes: [.v5]
)
