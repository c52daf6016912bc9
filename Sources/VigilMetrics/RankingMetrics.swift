// Threshold-free ranking metrics: ROC-AUC, average precision (PR-AUC), and the reference's binary ROC-AUC.
import Foundation

/// Ranking metrics from continuous scores (higher = more anomalous).
public enum RankingMetrics {
    /// ROC-AUC with exact tie handling: trapezoidal area of the ROC curve whose points are taken between distinct
    /// score values (a tie between a positive and a negative counts 1/2; equals the Mann–Whitney U / (P·N) and
    /// sklearn's `roc_auc_score`). nil when labels have a single class.
    public static func rocAUC(scores: [Double], labels: [Bool]) -> Double? {
        precondition(scores.count == labels.count)
        let order = scores.indices.sorted { scores[$0] > scores[$1] }
        let P = labels.reduce(0) { $0 + ($1 ? 1 : 0) }, N = labels.count - P
        guard P > 0, N > 0 else { return nil }
        var tp = 0.0, area = 0.0
        var i = 0
        while i < order.count {
            var gtp = 0.0, gfp = 0.0
            let v = scores[order[i]]
            while i < order.count && scores[order[i]] == v {
                if labels[order[i]] { gtp += 1 } else { gfp += 1 }
                i += 1
            }
            area += gfp * (tp + gtp / 2)
            tp += gtp
        }
        return area / (Double(P) * Double(N))
    }

    /// Average precision (PR-AUC as sklearn's `average_precision_score`): Σ_j (R_j − R_{j−1})·P_j over distinct score
    /// values taken as thresholds from the highest down (ties enter together). nil when there is no anomaly.
    public static func averagePrecision(scores: [Double], labels: [Bool]) -> Double? {
        precondition(scores.count == labels.count)
        let order = scores.indices.sorted { scores[$0] > scores[$1] }
        let P = labels.reduce(0) { $0 + ($1 ? 1 : 0) }
        guard P > 0 else { return nil }
        var tp = 0.0, fp = 0.0, ap = 0.0, lastRecall = 0.0
        var i = 0
        while i < order.count {
            let v = scores[order[i]]
            while i < order.count && scores[order[i]] == v {
                if labels[order[i]] { tp += 1 } else { fp += 1 }
                i += 1
            }
            let recall = tp / Double(P)
            ap += (recall - lastRecall) * (tp / (tp + fp))
            lastRecall = recall
        }
        return ap
    }

    /// The reference's "ROC/AUC": sklearn `roc_auc_score(labels, binary_predictions)` on 0/1 predictions, i.e.
    /// (1 + TPR − FPR)/2. nil when labels have a single class (the reference reports 0 there).
    public static func rocAUCBinaryReference(predictions: [Bool], labels: [Bool]) -> Double? {
        let m = PRF(predictions: predictions, labels: labels)
        let P = m.tp + m.fn, N = m.fp + m.tn
        guard P > 0, N > 0 else { return nil }
        return (1 + Double(m.tp) / Double(P) - Double(m.fp) / Double(N)) / 2
    }
}
