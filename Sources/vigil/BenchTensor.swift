import ArgumentParser

struct BenchTensor: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "tensor", abstract: "GEMM throughput at TranAD shapes and the OpenBLAS peak (not built yet)")
    func run() throws { throw ValidationError("'tensor' is not built yet") }
}
