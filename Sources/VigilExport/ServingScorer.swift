// `vigil score --model DIR`: the serving component's POST /score, offline. Normalize with the exported min/max,
// score with the exported model, threshold the 1-D score, find the anomalous segments and attribute each.
import Foundation
import VigilData
import VigilResults
import VigilScores
import VigilTranAD

/// The response of a scoring request, field for field the service's JSON contract (`json` lists the keys in this
/// order):
///
/// | key | type | meaning |
/// |---|---|---|
/// | `n_timesteps` | int | rows scored (N) |
/// | `n_features` | int | features per row (F) |
/// | `threshold` | number | the exported threshold; a row is anomalous when its score > threshold |
/// | `n_anomalies` | int | anomalous rows (not segments) |
/// | `anomaly_ratio` | number | n_anomalies / n_timesteps |
/// | `anomaly_segments` | [object] | maximal runs of anomalous rows, in time order (below) |
/// | `per_timestep` | [object] or null | with `--include-per-timestep`: `{"index", "score", "is_anomaly"}` per row; else null |
/// | `scoring_mode` | string | the scoring mode used (`phase2_only`, `averaged`; the model key for other models) |
/// | `threshold_method` | string | `method` of scorer_state.json (`pot`, `percentile`) |
/// | `store_id`, `device_id` | int or string | only when given (option or request field), echoed as given |
///
/// A segment: `segment_start`, `segment_end` (0-based rows, both inclusive), `segment_length` (end − start + 1),
/// `peak_score` (largest score in the segment), `peak_timestamp` (the request's timestamp of the peak row, or its
/// 0-based index; the first peak on ties), `mean_score`, `attributed_dimensions`: `[{"dim", "label",
/// "mean_elevation", "contribution"}]` by `SegmentAttribution` (ranked by mean elevation = mean over the segment of
/// score/baseline, kept while ≥ 2 until 80 % of the excess Σ max(score − baseline, 0) is covered, at most 10; `[]`
/// when none qualifies), or null when attribution was not computed (`--no-attribution`, or a model without
/// per-dimension scores).
public struct ScoreResponse: Equatable, Sendable {
    public struct Dimension: Equatable, Sendable {
        public var dim: Int
        public var label: String
        public var meanElevation: Double
        public var contribution: Double
        var json: OrderedJSON {
            .object([("dim", .int(dim)), ("label", .string(label)), ("mean_elevation", .number(meanElevation)), ("contribution", .number(contribution))])
        }
    }
    public struct Segment: Equatable, Sendable {
        public var segmentStart: Int
        public var segmentEnd: Int
        public var segmentLength: Int
        public var peakScore: Double
        public var peakTimestamp: JSONValue
        public var meanScore: Double
        public var attributedDimensions: [Dimension]?
        var json: OrderedJSON {
            .object([("segment_start", .int(segmentStart)), ("segment_end", .int(segmentEnd)), ("segment_length", .int(segmentLength)),
                     ("peak_score", .number(peakScore)), ("peak_timestamp", OrderedJSON(peakTimestamp)), ("mean_score", .number(meanScore)),
                     ("attributed_dimensions", attributedDimensions.map { .array($0.map(\.json)) } ?? .null)])
        }
    }
    public struct Timestep: Equatable, Sendable {
        public var index: Int
        public var score: Double
        public var isAnomaly: Bool
        var json: OrderedJSON { .object([("index", .int(index)), ("score", .number(score)), ("is_anomaly", .bool(isAnomaly))]) }
    }

    public var nTimesteps: Int
    public var nFeatures: Int
    public var threshold: Double
    public var nAnomalies: Int
    public var anomalyRatio: Double
    public var anomalySegments: [Segment]
    public var perTimestep: [Timestep]?
    public var scoringMode: String
    public var thresholdMethod: String
    public var storeID: JSONValue?
    public var deviceID: JSONValue?

    /// The response as ordered JSON: keys in contract order.
    public var json: OrderedJSON {
        .object([
            ("n_timesteps", .int(nTimesteps)), ("n_features", .int(nFeatures)), ("threshold", .number(threshold)),
            ("n_anomalies", .int(nAnomalies)), ("anomaly_ratio", .number(anomalyRatio)),
            ("anomaly_segments", .array(anomalySegments.map(\.json))),
            ("per_timestep", perTimestep.map { .array($0.map(\.json)) } ?? .null),
            ("scoring_mode", .string(scoringMode)), ("threshold_method", .string(thresholdMethod)),
        ] + (storeID.map { [("store_id", OrderedJSON($0))] } ?? []) + (deviceID.map { [("device_id", OrderedJSON($0))] } ?? []))
    }

    /// The JSON text: pretty-printed (two-space indent), keys in contract order, a trailing newline.
    public func jsonData() -> Data { Data((json.rendered() + "\n").utf8) }
}

/// Scores requests with a loaded bundle.
public enum ServingScorer {
    /// What the caller asked for beyond the rows.
    public struct Options: Sendable {
        /// Include `per_timestep` (also when the request asks for it).
        public var includePerTimestep = false
        /// Scoring mode (TranAD: `phase2_only` or `averaged`); nil: the request's, else the exported one.
        public var scoringMode: String?
        /// Attribute segments to dimensions (when the model has per-dimension scores).
        public var attribution = true
        /// Echoed in the response; override the request's.
        public var storeID: JSONValue?
        public var deviceID: JSONValue?
        public init() {}
    }

    /// The response, the scores it was computed from (rows × F per-dimension when the model has them) and notes for
    /// the user (a scoring mode other than the exported one, ignored request fields).
    public struct Result {
        public var response: ScoreResponse
        public var scores: ScoreSet
        public var warnings: [String]
    }

    /// Scores `request` with `bundle`. Checks the rows first (F columns, at least `window_size` rows, every value
    /// finite, every scaled value finite), each failure a `ScoreInputError`; then x' = (x − min)/(max − min + ε) with
    /// norm_params.npy, the model's scores (rows × F, 1-D score = `score_aggregation`), anomalous rows score >
    /// threshold, segments (`AnomalySegment.find`) and attribution (`SegmentAttribution` with `feature_baselines`).
    public static func score(_ bundle: ServingBundle, request: ScoreRequest, options: Options) throws -> Result {
        let state = bundle.state
        let x = request.data
        guard x.cols == state.nFeatures else { throw ScoreInputError.featureCount(path: request.source, found: x.cols, expected: state.nFeatures) }
        guard x.rows >= state.windowSize else { throw ScoreInputError.tooFewRows(path: request.source, rows: x.rows, window: state.windowSize) }
        if let i = x.values.firstIndex(where: { !$0.isFinite }) {
            throw ScoreInputError.nonFinite(path: request.source, row: i / x.cols + 1, column: i % x.cols + 1, value: x.values[i])
        }
        let scaled = bundle.normalizer.apply(x)
        if let i = scaled.values.firstIndex(where: { !$0.isFinite }) {
            throw ScoreInputError.unscalable(path: request.source, row: i / x.cols + 1, column: i % x.cols + 1, value: x.values[i])
        }
        var warnings: [String] = []
        if !request.ignoredFields.isEmpty {
            warnings.append("request fields not used by vigil score: \(request.ignoredFields.joined(separator: ", "))")
        }
        var detector = bundle.detector
        var mode = state.scoringMode
        if let requested = options.scoringMode ?? request.scoringMode, requested != state.scoringMode {
            guard let d = detector as? TranADDetector, let t = d.trainer, let m = TranADScoring(rawValue: requested) else {
                let available = detector is TranADDetector ? TranADScoring.allCases.map(\.rawValue) : [state.scoringMode]
                throw ScoreInputError.scoringMode(requested: requested, model: state.model, available: available)
            }
            detector = TranADDetector(trained: try TranADModelFile.withScoring(t, m))
            mode = requested
            warnings.append("scoring mode \(requested) differs from the exported \(state.scoringMode): the threshold and feature baselines were calibrated on \(state.scoringMode) scores")
        }
        let scores = try detector.score(scaled)
        if let r = scores.firstNonFiniteRow {
            throw ScoreInputError.nonFiniteScore(path: request.source, row: r + 1)
        }
        let agg = scores.aggregate
        let threshold = state.threshold
        let flags = agg.map { $0 > threshold }
        let anomalies = flags.reduce(0) { $0 + ($1 ? 1 : 0) }
        let attribution: SegmentAttribution? = options.attribution && scores.dims > 0
            ? try state.featureBaselines.map { try SegmentAttribution(baselines: $0) } : nil
        let segments = try AnomalySegment.find(in: agg, threshold: threshold).map { s -> ScoreResponse.Segment in
            let dims = try attribution.map { a in
                SegmentAttribution.attributedDimensions(try a.profile(of: s, in: scores)).map {
                    ScoreResponse.Dimension(dim: $0.dim, label: state.featureLabels[$0.dim], meanElevation: $0.meanElevation,
                                            contribution: $0.contribution)
                }
            }
            return ScoreResponse.Segment(segmentStart: s.start, segmentEnd: s.end, segmentLength: s.length, peakScore: s.peakScore,
                                         peakTimestamp: request.timestamps?[s.peakIndex] ?? .int(s.peakIndex), meanScore: s.meanScore,
                                         attributedDimensions: dims)
        }
        let perTimestep = options.includePerTimestep || request.includePerTimestep == true
            ? agg.indices.map { ScoreResponse.Timestep(index: $0, score: agg[$0], isAnomaly: flags[$0]) } : nil
        let response = ScoreResponse(
            nTimesteps: x.rows, nFeatures: x.cols, threshold: threshold, nAnomalies: anomalies,
            anomalyRatio: Double(anomalies) / Double(x.rows), anomalySegments: segments, perTimestep: perTimestep, scoringMode: mode,
            thresholdMethod: state.method, storeID: options.storeID ?? request.storeID, deviceID: options.deviceID ?? request.deviceID)
        return Result(response: response, scores: scores, warnings: warnings)
    }
}
