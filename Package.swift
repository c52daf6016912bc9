// swift-tools-version:6.0
// Vigil: multivariate time-series anomaly detection harness (TranAD, Isolation Forest, POT, metrics).
//
// Layers (a lower module never imports a higher one):
//   CBLAS/CHDF5 (system), VigilRandom → VigilTensor → VigilNN → VigilTranAD / VigilIsolationForest
//   → VigilScores → VigilThresholds → VigilMetrics → VigilExperiments (run, report, export) → vigil (CLI)
//   VigilHDF5 and VigilData sit beside the tensor core: they read and write arrays, nothing more.
import PackageDescription

let package = Package(
    name: "Vigil",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "vigil", targets: ["vigil"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-numerics", from: "1.1.1"),
    ],
    targets: [
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS"),
        .systemLibrary(name: "CHDF5", path: "Sources/CHDF5"),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib"),

        .target(name: "VigilRandom", dependencies: [.product(name: "RealModule", package: "swift-numerics")]),
        .target(name: "VigilTensor", dependencies: ["CBLAS", "VigilRandom", .product(name: "RealModule", package: "swift-numerics")]),
        .target(name: "VigilNN", dependencies: ["VigilTensor", .product(name: "RealModule", package: "swift-numerics")]),
        .target(name: "VigilHDF5", dependencies: ["CHDF5"]),
        .target(name: "VigilData", dependencies: ["VigilHDF5", "CZlib"]),
        .target(name: "VigilTranAD", dependencies: [
            "VigilNN", "VigilTensor", "VigilHDF5", "VigilData", .product(name: "RealModule", package: "swift-numerics"),
        ]),
        .target(name: "VigilIsolationForest", dependencies: ["VigilHDF5", "VigilRandom", .product(name: "RealModule", package: "swift-numerics")]),
        .target(name: "VigilScores", dependencies: ["VigilData", "VigilHDF5", "VigilTranAD", "VigilIsolationForest"]),
        .target(name: "VigilThresholds", dependencies: []),
        .target(name: "VigilMetrics", dependencies: ["VigilThresholds"]),
        .target(name: "VigilExperiments", dependencies: [
            "VigilData", "VigilHDF5", "VigilTranAD", "VigilIsolationForest", "VigilScores", "VigilThresholds", "VigilMetrics",
        ]),
        .executableTarget(
            name: "vigil",
            dependencies: [
                "VigilRandom", "VigilTensor", "VigilNN", "VigilHDF5", "VigilData", "VigilTranAD", "VigilIsolationForest",
                "VigilScores", "VigilThresholds", "VigilMetrics", "VigilExperiments",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        .testTarget(name: "VigilRandomTests", dependencies: ["VigilRandom"]),
        .testTarget(name: "VigilTensorTests", dependencies: ["VigilTensor", "VigilRandom"]),
        .testTarget(name: "VigilNNTests", dependencies: ["VigilNN", "VigilTensor", "VigilRandom"]),
        .testTarget(name: "VigilHDF5Tests", dependencies: ["VigilHDF5"]),
        .testTarget(name: "VigilDataTests", dependencies: ["VigilData", "VigilHDF5"]),
        .testTarget(name: "VigilTranADTests", dependencies: ["VigilTranAD", "VigilNN", "VigilTensor", "VigilData", "VigilRandom"],
                    resources: [.copy("Goldens")]),
        .testTarget(name: "VigilIsolationForestTests", dependencies: ["VigilIsolationForest", "VigilHDF5", "VigilRandom"],
                    resources: [.copy("Goldens")]),
        .testTarget(name: "VigilThresholdsTests", dependencies: ["VigilThresholds"],
                    resources: [.copy("Goldens")]),
        .testTarget(name: "VigilMetricsTests", dependencies: ["VigilMetrics"],
                    resources: [.copy("Goldens")]),
        .testTarget(name: "VigilScoresTests", dependencies: ["VigilScores", "VigilData", "VigilHDF5"]),
        .testTarget(name: "VigilExperimentsTests", dependencies: [
            "VigilExperiments", "VigilData", "VigilScores", "VigilHDF5", "VigilMetrics", "VigilThresholds", "VigilTranAD",
        ]),
    ],
    swiftLanguageModes: [.v5]
)
