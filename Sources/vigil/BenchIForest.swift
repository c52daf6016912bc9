import ArgumentParser

struct BenchIForest: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "iforest", abstract: "Isolation Forest fit and score speed (not built yet)")
    func run() throws { throw ValidationError("'iforest' is not built yet") }
}
