// Re-evaluating another unit's stored scores instead of fitting and scoring again: for configs that differ only in
// evaluation keys (`transform.*`, `calibration.*`, `evaluation.vus_window`, `validation.selection`). Used by
// `vigil run --scores-from RUN-DIR` and by sweeps (a trial reuses a complete trial of the same machine whose config
// computes the same scores). The scores are read, never changed or copied: a reusing unit stores no score file, its
// `scores/identity.json` names, per model, the unit that holds them (`computed_in`, resolved by `scoreFile`). Nothing is exported
// from a reusing unit (it has no fitted model).
import Foundation
import VigilConfig
import VigilIO
import VigilResults

/// The identity of a unit's stored scores, written as `scores/identity.json` beside them.
public struct ScoresIdentity: Codable, Equatable, Sendable {
    public var format = "vigil-scores-identity"
    /// `ResolvedConfig.scoresSHA256` of the config that computed the scores.
    public var scoresConfigSHA256: String
    public var machine: String
    /// Model → the unit directory holding its score file (this unit, or the one its scores were reused from), as given
    /// when written (relative paths are relative to the working directory of the run).
    public var computedIn: [String: String]

    public static let file = "scores/identity.json"

    enum CodingKeys: String, CodingKey {
        case format, machine
        case scoresConfigSHA256 = "scores_config_sha256", computedIn = "computed_in"
    }
}

/// Finding and reading reusable stored scores.
public enum ScoreReuse {
    /// The identity file of the unit directory `unit`, nil when absent or unreadable.
    public static func identity(of unit: String) -> ScoresIdentity? {
        let path = (unit as NSString).appendingPathComponent(ScoresIdentity.file)
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return try? JSONOutput.decode(ScoresIdentity.self, from: data)
    }

    /// True when `unit` holds stored scores computed by a config with `config`'s scores identity on `machine`.
    public static func matches(_ unit: String, config: ExperimentConfig, machine: String) -> Bool {
        guard let id = identity(of: unit) else { return false }
        return id.scoresConfigSHA256 == config.resolved.scoresSHA256 && id.machine == machine
    }

    /// The score file of `model` for the unit directory `unit`: its own, or (for a unit that reused scores and stores
    /// none) the file in the unit its identity says computed them; nil when neither exists.
    /// `k`: the seeded repeat (0 = the first seed's file).
    public static func scoreFile(model: String, unit: String, repeat k: Int = 0) -> String? {
        let fm = FileManager.default
        let own = (unit as NSString).appendingPathComponent(RunLayout.MachineFile.scores(model, repeat: k))
        if fm.fileExists(atPath: own) { return own }
        guard let origin = identity(of: unit)?.computedIn[model], origin != unit else { return nil }
        let there = (origin as NSString).appendingPathComponent(RunLayout.MachineFile.scores(model, repeat: k))
        return fm.fileExists(atPath: there) ? there : nil
    }

    /// The stored scores of `model` in `unit` when it matches (nil otherwise: the caller fits and scores itself), and
    /// the unit directory that holds their file.
    public static func scores(model: String, unit: String?, config: ExperimentConfig, machine: String, repeat k: Int = 0) throws -> (StoredScores, String)? {
        guard let unit, matches(unit, config: config, machine: machine), let path = scoreFile(model: model, unit: unit, repeat: k) else { return nil }
        let holder = ((path as NSString).deletingLastPathComponent as NSString).deletingLastPathComponent
        return (try ScoreFile.read(path), holder)
    }

    /// Writes the identity of the scores a unit stores (into its staging directory).
    static func writeIdentity(config: ExperimentConfig, machine: String, computedIn: [String: String], stage: StagingDirectory) throws {
        let id = ScoresIdentity(scoresConfigSHA256: config.resolved.scoresSHA256, machine: machine, computedIn: computedIn)
        try AtomicFile.write(try JSONOutput.encode(id), to: stage.file(ScoresIdentity.file))
    }
}
