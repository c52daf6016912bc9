// Scores on disk: a ScoreSet in an HDF5 group, so stored runs can be re-thresholded and re-evaluated.
import Foundation
import VigilHDF5

extension ScoreSet {
    /// Writes the scores under `group`: `aggregate` (rows,), `per_dimension` (rows, dims) when present,
    /// and the model name and provenance (JSON) as attributes.
    public func write(to file: HDF5File, group: String) throws {
        try file.write(aggregate, shape: [rows], to: "\(group)/aggregate")
        if dims > 0 { try file.write(perDimension, shape: [rows, dims], to: "\(group)/per_dimension") }
        try file.setAttribute("model", string: model, at: group)
        let json = try JSONSerialization.data(withJSONObject: provenance, options: [.sortedKeys])
        try file.setAttribute("provenance_json", string: String(decoding: json, as: UTF8.self), at: group)
    }

    /// Reads scores written by `write(to:group:)`. A damaged file (aggregate not 1-D, per_dimension not (rows, dims)
    /// with dims ≥ 1 and rows equal to the aggregate's length) is refused with `HDF5Error.typeMismatch`.
    public init(from file: HDF5File, group: String) throws {
        let (agg, aggShape) = try file.read(Double.self, from: "\(group)/aggregate")
        guard aggShape.count == 1 else {
            throw HDF5Error.typeMismatch(file: file.path, path: "\(group)/aggregate", expected: "scores of shape (rows,)")
        }
        let model = try file.stringAttribute("model", at: group)
        var provenance: [String: String] = [:]
        if file.hasAttribute("provenance_json", at: group),
           let obj = try JSONSerialization.jsonObject(with: Data(try file.stringAttribute("provenance_json", at: group).utf8)) as? [String: String] {
            provenance = obj
        }
        if file.contains("\(group)/per_dimension") {
            let (values, shape) = try file.read(Double.self, from: "\(group)/per_dimension")
            guard shape.count == 2, shape[1] > 0, shape[0] == agg.count, values.count == shape[0] * shape[1] else {
                throw HDF5Error.typeMismatch(file: file.path, path: "\(group)/per_dimension",
                                             expected: "scores of shape (\(agg.count), dims ≥ 1) matching the aggregate")
            }
            self.init(model: model, perDimension: values, rows: shape[0], dims: shape[1], provenance: provenance)
            aggregate = agg
        } else {
            self.init(model: model, aggregate: agg, provenance: provenance)
        }
    }
}
