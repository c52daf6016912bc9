import ArgumentParser

struct BenchTranAD: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "tranad", abstract: "TranAD training epoch and inference speed (not built yet)")
    func run() throws { throw ValidationError("'tranad' is not built yet") }
}
