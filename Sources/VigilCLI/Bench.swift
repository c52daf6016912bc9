import ArgumentParser

/// `vigil bench`: speed benchmarks that print JSON for comparison tables.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Speed benchmarks (release build recommended: swift build -c release).",
        subcommands: [BenchTensor.self, BenchTranAD.self, BenchIForest.self, BenchSHA256.self]
    )
}
