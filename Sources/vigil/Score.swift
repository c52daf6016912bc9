import ArgumentParser

struct Score: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "score", abstract: "Score a matrix with a saved checkpoint (not built yet)")
    func run() throws { throw ValidationError("'score' is not built yet") }
}
