import Foundation
import XCTest

/// Goldens/sklearn_iforest.json, written by scripts/make_iforest_goldens.py: a 4-tree sklearn
/// IsolationForest(max_samples=16, random_state=0) fitted on 40 float32 rows of 3 features, 12 test rows and
/// sklearn's scores (-score_samples) for them.
struct SklearnGolden: Decodable {
    struct Tree: Decodable {
        let feature: [Int32], threshold: [Double], left: [Int32], right: [Int32], samples: [Int32]
    }
    let generator: String
    let max_samples: Int
    let feature_count: Int
    let test_rows: [Double]
    let sklearn_scores: [Double]
    let trees: [Tree]

    static func load() throws -> SklearnGolden {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "sklearn_iforest", withExtension: "json", subdirectory: "Goldens"))
        return try JSONDecoder().decode(SklearnGolden.self, from: Data(contentsOf: url))
    }
}
