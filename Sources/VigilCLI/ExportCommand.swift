import ArgumentParser
import Foundation
import VigilConfig
import VigilExport
import VigilIO

/// `vigil export RUN-DIR/MACHINE --out DIR [--model M]`: a run's serving bundle, verified, published into the
/// service's layout.
public struct ExportCommand: ParsableCommand {
    public init() {}

    public static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Publish a run's serving bundle (model.ckpt, model.h5, scorer_state.json, …) into a service directory.",
        discussion: """
        Copies RUN-DIR/MACHINE/export/<model>/ (written by `vigil run`) to --out, e.g. \
        `vigil export runs/smd-default/machine-3-2 --out models/tranad/machine-3-2`. Before anything is written, \
        every file is checked against checksums.sha256, model.h5's seal and per-dataset checksums are verified, \
        model.ckpt must hold exactly model.h5's state dict, and scorer_state.json and norm_params.npy must agree \
        with the model; a damaged or incomplete source is refused, naming the file. The copy is built beside --out \
        and renamed into place: --out is either the old directory or the complete new bundle, never a mix. An \
        existing --out is replaced only when it is empty or a Vigil export; it may not be or contain the source, \
        nor lie inside the run's machine directory. The bundle's layout and every scorer_state.json key are \
        described in README "Serving".
        """
    )

    @Argument(help: "A machine directory of a finished `vigil run` (RUN-DIR/MACHINE).")
    var machine: String

    @Option(help: "Directory to publish the bundle as (e.g. models/tranad/machine-3-2).")
    var out: String

    @Option(help: "Model whose bundle to publish: \(ModelKind.allCases.map(\.rawValue).joined(separator: ", ")).")
    var model: String = "tranad"

    public func validate() throws {
        guard ModelKind(rawValue: model) != nil else {
            throw ValidationError("--model '\(model)' is not a model; use one of \(ModelKind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
    }

    public func run() throws {
        let source = BundleRepublisher.source(machineDirectory: machine, model: model)
        try checkOutputs([], directories: [NamedPath("--out", out)],
                         inputs: [NamedPath("RUN-DIR/MACHINE", machine), NamedPath("the exported bundle", source)])
        let machineReal = Paths.canonical(machine), outReal = Paths.canonical(out)
        if outReal.hasPrefix(machineReal.hasSuffix("/") ? machineReal : machineReal + "/") {
            throw ValidationError("--out \(out) lies inside the run's machine directory \(machine); publish the bundle outside the run (e.g. models/\(model)/<machine>)")
        }
        let outcome = try BundleRepublisher.republish(machineDirectory: machine, model: model, to: out)
        for n in outcome.notes { printErr("vigil export: note: \(n)") }
        print("published \(out): \(outcome.files.joined(separator: ", ")) (every checksum verified)")
    }
}
