// Scores on disk: a ScoreSet in an HDF5 group, so stored runs can be re-thresholded and re-evaluated.
import Foundation
import VigilHDF5

/// A stored score group whose arrays disagree.
public struct ScoreFileError: Error, CustomStringConvertible, Equatable {
    public var file: String
    public var group: String
    public var reason: String
    public var description: String { "\(file): scores in group \(group) are inconsistent (\(reason)); write them again" }
}

extension ScoreSet {
    /// Writes the scores under `group`: `aggregate` (rows,), `per_dimension` (rows, dims) when present, each with
    /// its sha256 (`writeChecksummed`), and the model name and provenance (JSON) as attributes.
    public func write(to file: HDF5File, group: String) throws {
        try file.writeChecksummed(aggregate, shape: [rows], to: "\(group)/aggregate")
        if dims > 0 { try file.writeChecksummed(perDimension, shape: [rows, dims], to: "\(group)/per_dimension") }
        try file.setAttribute("model", string: model, at: group)
        let json = try JSONSerialization.data(withJSONObject: provenance, options: [.sortedKeys])
        try file.setAttribute("provenance_json", string: String(decoding: json, as: UTF8.self), at: group)
    }

    /// Reads scores written by `write(to:group:)`, verifying checksums and that the arrays agree (aggregate (rows,),
    /// per_dimension (rows, dims ≥ 1)); a damaged file is refused, never read with a wrong shape.
    public init(from file: HDF5File, group: String) throws {
        let (agg, aggShape) = try file.readVerified(Double.self, from: "\(group)/aggregate")
        guard aggShape.count == 1 else {
            throw ScoreFileError(file: file.path, group: group, reason: "aggregate has shape \(aggShape), expected (rows,)")
        }
        let model = try file.stringAttribute("model", at: group)
        var provenance: [String: String] = [:]
        if file.hasAttribute("provenance_json", at: group),
           let obj = try JSONSerialization.jsonObject(with: Data(try file.stringAttribute("provenance_json", at: group).utf8)) as? [String: String] {
            provenance = obj
        }
        if file.contains("\(group)/per_dimension") {
            let (values, shape) = try file.readVerified(Double.self, from: "\(group)/per_dimension")
            guard shape.count == 2, shape[1] > 0, shape[0] == agg.count else {
                throw ScoreFileError(file: file.path, group: group, reason: "per_dimension has shape \(shape) for \(agg.count) rows")
            }
            self.init(model: model, perDimension: values, rows: shape[0], dims: shape[1], provenance: provenance)
            aggregate = agg
        } else {
            self.init(model: model, aggregate: agg, provenance: provenance)
        }
    }
}
