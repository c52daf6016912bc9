import ArgumentParser

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "train", abstract: "Train TranAD on a training matrix and save a checkpoint (not built yet)")
    func run() throws { throw ValidationError("'train' is not built yet") }
}
