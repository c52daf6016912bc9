// The rows `vigil score --model` scores: a text matrix (CSV or whitespace, plain or .gz), a .npy array, or the
// service's JSON request body {"data": [[…], …], …}.
import Foundation
import VigilData
import VigilIO
import VigilResults

/// Raw (unnormalized) rows to score, and the request fields that come with a JSON body.
public struct ScoreRequest: Sendable {
    /// Rows × F raw values, as given.
    public var data: DataMatrix
    /// Where the rows came from (for messages).
    public var source: String
    /// `store_id` / `device_id` of the request (an integer or a string), echoed in the response.
    public var storeID: JSONValue?
    public var deviceID: JSONValue?
    /// `include_per_timestep` of the request.
    public var includePerTimestep: Bool?
    /// `scoring_mode` of the request.
    public var scoringMode: String?
    /// `timestamps` of the request: one value (string or number) per row; a segment's `peak_timestamp` is the value of
    /// its peak row (the 0-based row index without timestamps).
    public var timestamps: [JSONValue]?
    /// Fields of the JSON body this version does not use (reported on standard error, not an error).
    public var ignoredFields: [String] = []

    public init(data: DataMatrix, source: String) {
        self.data = data
        self.source = source
    }

    /// Reads the rows of `path`: `.npy` (NumPy, 1-D or 2-D), a JSON object (the file's first non-blank character is
    /// `{`), or else a text matrix (`MatrixFile`: comma- or whitespace-separated, optional header, `.gz` allowed).
    public static func read(_ path: String) throws -> ScoreRequest {
        switch try Paths.kind(of: path) {
        case .regular: break
        case .absent: throw ScoreInputError.unreadable(path: path, reason: "no such file")
        case let k: throw ScoreInputError.unreadable(path: path, reason: "it is a \(k.name), not a file")
        }
        if !path.hasSuffix(".npy"), !path.hasSuffix(".gz") {
            var bytes = [UInt8]()
            do { try SHA256Hasher.forEachChunk(of: path) { bytes.append(contentsOf: $0) } } catch {
                throw ScoreInputError.unreadable(path: path, reason: FileError.reason(of: error))
            }
            if bytes.first(where: { ![0x20, 0x09, 0x0A, 0x0D].contains($0) }) == UInt8(ascii: "{") { return try parseJSON(bytes, path: path) }
        }
        return ScoreRequest(data: try MatrixFile.read(path), source: path)
    }

    /// Known fields of the JSON request body.
    static let knownFields: Set<String> = ["data", "store_id", "device_id", "include_per_timestep", "scoring_mode", "timestamps"]

    /// Parses the service's request body: `data` (required) an array of N ≥ 1 rows of F ≥ 1 numbers each, and the
    /// optional `store_id`, `device_id` (integer or string), `include_per_timestep` (bool), `scoring_mode` (string),
    /// `timestamps` (N strings or numbers). Other fields are listed in `ignoredFields`.
    public static func parseJSON(_ bytes: [UInt8], path: String) throws -> ScoreRequest {
        let body: RequestBody
        do { body = try JSONDecoder().decode(RequestBody.self, from: Data(bytes)) } catch let e as DecodingError {
            throw ScoreInputError.badJSON(path: path, reason: describe(e))
        } catch let ScoreInputError.badJSON(_, reason) {
            throw ScoreInputError.badJSON(path: path, reason: reason)
        } catch {
            throw ScoreInputError.badJSON(path: path, reason: "not valid JSON")
        }
        let n = body.data.count
        guard n > 0 else { throw ScoreInputError.badJSON(path: path, reason: "\"data\" has no rows; send at least one row of numbers") }
        let f = body.data[0].count
        guard f > 0 else { throw ScoreInputError.badJSON(path: path, reason: "data[0] has no values") }
        if let r = body.data.firstIndex(where: { $0.count != f }) {
            throw ScoreInputError.badJSON(path: path, reason: "data[\(r)] has \(body.data[r].count) values but data[0] has \(f); every row needs the same number of features")
        }
        for (name, v) in [("store_id", body.storeID), ("device_id", body.deviceID)] {
            if let v, !isIdentifier(v) { throw ScoreInputError.badJSON(path: path, reason: "\"\(name)\" must be an integer or a string") }
        }
        if let t = body.timestamps {
            guard t.count == n else { throw ScoreInputError.badJSON(path: path, reason: "\"timestamps\" has \(t.count) values for \(n) rows") }
            if let i = t.firstIndex(where: { !isTimestamp($0) }) {
                throw ScoreInputError.badJSON(path: path, reason: "timestamps[\(i)] must be a string or a number")
            }
        }
        var r = ScoreRequest(data: DataMatrix(rows: n, cols: f, values: body.data.flatMap { $0 }), source: path)
        r.storeID = body.storeID
        r.deviceID = body.deviceID
        r.includePerTimestep = body.includePerTimestep
        r.scoringMode = body.scoringMode
        r.timestamps = body.timestamps
        r.ignoredFields = body.allKeys.filter { !knownFields.contains($0) }.sorted()
        return r
    }

    private static func isIdentifier(_ v: JSONValue) -> Bool {
        switch v { case .int, .string: return true; default: return false }
    }

    private static func isTimestamp(_ v: JSONValue) -> Bool {
        switch v { case .int, .string: return true; case .double(let d): return d.isFinite; default: return false }
    }
}

/// The JSON request body; keys are read one by one so unknown ones can be listed.
private struct RequestBody: Decodable {
    var data: [[Double]]
    var storeID: JSONValue?
    var deviceID: JSONValue?
    var includePerTimestep: Bool?
    var scoringMode: String?
    var timestamps: [JSONValue]?
    var allKeys: [String]

    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ s: String) { stringValue = s }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    init(from decoder: Decoder) throws {
        let c: KeyedDecodingContainer<Key>
        do { c = try decoder.container(keyedBy: Key.self) } catch DecodingError.typeMismatch {
            throw ScoreInputError.badJSON(path: "", reason: "the top level is not an object {\"data\": [[…], …]}")
        }
        allKeys = c.allKeys.map(\.stringValue)
        guard c.contains(Key("data")) else {
            throw DecodingError.keyNotFound(Key("data"), .init(codingPath: [], debugDescription: "no data"))
        }
        data = try c.decode([[Double]].self, forKey: Key("data"))
        storeID = try c.decodeIfPresent(JSONValue.self, forKey: Key("store_id"))
        deviceID = try c.decodeIfPresent(JSONValue.self, forKey: Key("device_id"))
        includePerTimestep = try c.decodeIfPresent(Bool.self, forKey: Key("include_per_timestep"))
        scoringMode = try c.decodeIfPresent(String.self, forKey: Key("scoring_mode"))
        timestamps = try c.decodeIfPresent([JSONValue].self, forKey: Key("timestamps"))
        if storeID == .null { storeID = nil }
        if deviceID == .null { deviceID = nil }
    }
}

/// Bad rows to score: each message names the input and what to do; `vigil score` prints nothing on stdout for these.
public enum ScoreInputError: Error, CustomStringConvertible, Equatable {
    case unreadable(path: String, reason: String)
    case badJSON(path: String, reason: String)
    /// Fewer rows than the model's window.
    case tooFewRows(path: String, rows: Int, window: Int)
    case featureCount(path: String, found: Int, expected: Int)
    /// A NaN or infinite value, row and column 1-based.
    case nonFinite(path: String, row: Int, column: Int, value: Double)
    /// A value so far outside the training range that scaling it overflows.
    case unscalable(path: String, row: Int, column: Int, value: Double)
    /// The model's score of a row is NaN or infinite (1-based row).
    case nonFiniteScore(path: String, row: Int)
    /// A scoring mode the model does not have.
    case scoringMode(requested: String, model: String, available: [String])

    public var description: String {
        switch self {
        case let .unreadable(p, r): return "\(p): cannot read the rows to score: \(r)"
        case let .badJSON(p, r): return "\(p): \(r); expected a JSON request {\"data\": [[…], …]} of raw rows"
        case let .tooFewRows(p, n, w):
            return "\(p) has \(n) row\(n == 1 ? "" : "s") but the model's window is \(w) rows: send at least \(w) consecutive rows"
        case let .featureCount(p, f, e):
            return "\(p) has \(f) feature\(f == 1 ? "" : "s") per row but the model was trained on \(e): send rows with the training columns, in order"
        case let .nonFinite(p, r, c, v):
            return "\(p): row \(r), column \(c) is \(v); every value must be a finite number: remove or impute NaN/Inf first"
        case let .unscalable(p, r, c, v):
            return "\(p): row \(r), column \(c) is \(v), too far outside the training range to scale (it overflows); fix that value"
        case let .nonFiniteScore(p, r):
            return "\(p): the model's score of row \(r) is not finite; the values there are too large for the model: check that row"
        case let .scoringMode(req, m, avail):
            return "scoring mode '\(req)' is not available for \(m); use \(avail.map { "'\($0)'" }.joined(separator: " or "))"
        }
    }
}
