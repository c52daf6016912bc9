import ArgumentParser

struct Pot: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "pot", abstract: "POT/SPOT threshold from calibration and stream score files (not built yet)")
    func run() throws { throw ValidationError("'pot' is not built yet") }
}
