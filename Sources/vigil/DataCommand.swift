import ArgumentParser

struct DataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "data", abstract: "Download, verify and preprocess datasets (not built yet)")
    func run() throws { throw ValidationError("'data' is not built yet") }
}
