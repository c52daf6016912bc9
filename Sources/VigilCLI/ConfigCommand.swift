import ArgumentParser
import Foundation
import VigilConfig

/// `vigil config`: show a resolved config, or the reference of every key.
struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config", abstract: "Show a resolved experiment config, or the reference of every config key.",
        subcommands: [Show.self, Reference.self])

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the resolved config (every key, its value and where it was set) and its sha256.")

        @Argument(help: "Experiment config (YAML); omit for the defaults.")
        var config: String?

        @Option(name: .customLong("set"), parsing: .unconditionalSingleValue, help: "Override a key: KEY=VALUE (repeatable).")
        var overrides: [String] = []

        func run() throws {
            do {
                let r: ResolvedConfig
                if let c = config { r = try ResolvedConfig.load(path: c, overrides: overrides) } else {
                    var root = ConfigNode.mapping([], .defaultValue)
                    for s in overrides { root = try ConfigDocument.applyOverride(s, to: root) }
                    r = try ResolvedConfig(root)
                }
                let typed = try ExperimentConfig(r)
                print(r.yaml(header: "config_sha256: \(typed.sha256)"), terminator: "")
            } catch let e as ConfigError {
                throw CLIError("config: " + e.description.replacingOccurrences(of: "\n", with: "\n  "))
            }
        }
    }

    struct Reference: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the Markdown table of every config key (the README embeds it).")
        func run() throws { print(ConfigSchema.experiment.markdownReference(), terminator: "") }
    }
}
