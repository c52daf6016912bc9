// Where and with what a run was computed: version, commit, compiler, BLAS, CPU, threads. Written into every
// provenance file and report so a reader can reproduce or question a number.

/// Facts about the software and machine a run used (`RunEnvironment.current` reads them).
public struct RunEnvironment: Codable, Equatable, Sendable {
    public var vigilVersion: String
    /// `git rev-parse HEAD` of the working directory's repository ("unknown" outside one).
    public var gitCommit: String
    /// True when tracked files differ from the commit (`git status --porcelain --untracked-files=no`).
    public var gitDirty: Bool?
    public var swiftVersion: String
    /// `openblas_get_config()`, e.g. "OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY Haswell MAX_THREADS=64".
    public var blas: String
    /// OpenBLAS's kernel family for this CPU (`openblas_get_corename()`), e.g. "Haswell", "SkylakeX".
    public var blasCore: String
    public var cpuModel: String
    /// SIMD extensions the CPU offers that matter for speed (avx2, fma, avx512f).
    public var cpuFlags: [String]
    public var cores: Int
    public var host: String
    public var os: String

    enum CodingKeys: String, CodingKey {
        case vigilVersion = "vigil_version", gitCommit = "git_commit", gitDirty = "git_dirty", swiftVersion = "swift_version"
        case blas, blasCore = "blas_core", cpuModel = "cpu_model", cpuFlags = "cpu_flags", cores, host, os
    }

    public init(vigilVersion: String, gitCommit: String, gitDirty: Bool?, swiftVersion: String, blas: String, blasCore: String,
                cpuModel: String, cpuFlags: [String], cores: Int, host: String, os: String) {
        self.vigilVersion = vigilVersion; self.gitCommit = gitCommit; self.gitDirty = gitDirty; self.swiftVersion = swiftVersion
        self.blas = blas; self.blasCore = blasCore; self.cpuModel = cpuModel; self.cpuFlags = cpuFlags; self.cores = cores
        self.host = host; self.os = os
    }
}
