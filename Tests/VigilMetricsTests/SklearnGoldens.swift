import Foundation
import XCTest

/// Goldens/sklearn_metrics.json, written by scripts/make_metrics_goldens.py (sklearn + the independent Python in
/// scripts/spot_reference.py): 300 steps with tied scores, label segments at both ends and a single point.
struct SklearnGoldens: Decodable {
    struct Expected: Decodable {
        let pointwise: [Double], point_adjusted: [Double], eventwise: [Double]
        let pak_f1_area: Double, pak_f1_at_40: Double
        let roc_auc: Double, average_precision: Double, roc_auc_binary: Double
        let oracle_point_adjusted_f1: Double, oracle_pointwise_f1: Double
        let hit100: Double, hit150: Double, ndcg100: Double, ndcg150: Double
    }
    let generator: String
    let dimensions: Int
    let threshold: Double
    let scores: [Double]
    let labels: [Bool]
    let per_dimension: [Double]
    let interpretation: [Bool]
    let expected: Expected

    static func load() throws -> SklearnGoldens {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "sklearn_metrics", withExtension: "json", subdirectory: "Goldens"))
        return try JSONDecoder().decode(SklearnGoldens.self, from: Data(contentsOf: url))
    }
}
