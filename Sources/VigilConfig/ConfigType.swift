// The type of a configuration key: what values it accepts, how it normalises them and how it is documented.
import Foundation

/// The accepted values of one configuration key. `check` validates and normalises a value (an integer given for a
/// number key becomes a Double); `summary` is the one-line description used in errors and the reference table.
public indirect enum ConfigType: Sendable {
    /// `true` or `false`.
    case bool
    /// An integer in `range`.
    case int(ClosedRange<Int>)
    /// A non-negative integer up to 2⁶⁴ − 1 written in decimal (seeds).
    case uint64
    /// A finite number within `bounds`.
    case number(NumberBounds)
    /// One of these strings.
    case choice([String])
    /// Any non-empty string.
    case string
    /// A filesystem path (a non-empty string; relative paths are relative to the working directory).
    case path
    /// A list of `element`s (`unique`: no repeats; `nonEmpty`: at least one).
    case list(ConfigType, unique: Bool, nonEmpty: Bool)
    /// Exactly this string (e.g. `all`, `auto`).
    case literal(String)
    /// The first alternative that accepts the value.
    case either([ConfigType])
    /// `null` or a value of the wrapped type.
    case optional(ConfigType)
    /// A string of a documented form, parsed by `parse` (returns nil when malformed).
    case pattern(summary: String, parse: @Sendable (String) -> Bool)

    /// One-line description: `integer 1…10000`, `number in (0, 1]`, `one of: float32, float64`.
    public var summary: String {
        switch self {
        case .bool: return "true or false"
        case .int(let r):
            if r.upperBound == Int.max { return "integer ≥ \(r.lowerBound)" }
            return "integer \(r.lowerBound)…\(r.upperBound)"
        case .uint64: return "integer 0…18446744073709551615"
        case .number(let b): return "number \(b.summary)"
        case .choice(let c): return "one of: " + c.joined(separator: ", ")
        case .string: return "text"
        case .path: return "path"
        case let .list(e, unique, nonEmpty):
            return (nonEmpty ? "non-empty " : "") + "list of " + e.summary + (unique ? " (no repeats)" : "")
        case .literal(let s): return "`\(s)`"
        case .either(let alts): return alts.map(\.summary).joined(separator: " | ")
        case .optional(let t): return t.summary + " | null"
        case .pattern(let s, _): return s
        }
    }

    /// Validates `value`, returning it normalised or a reason (`expected …, got …`).
    public func check(_ value: ConfigValue) -> Result<ConfigValue, ConfigTypeError> {
        func fail(_ why: String? = nil) -> Result<ConfigValue, ConfigTypeError> {
            .failure(ConfigTypeError(expected: summary, got: value, reason: why))
        }
        switch self {
        case .bool:
            if case .bool = value { return .success(value) }
            return fail()
        case .int(let r):
            guard case .int(let i) = value else {
                if case .double(let d) = value, d.rounded() == d, d.isFinite { return fail("write it without a fraction") }
                return fail()
            }
            return r.contains(i) ? .success(value) : fail("out of range")
        case .uint64:
            switch value {
            case .int(let i) where i >= 0: return .success(value)
            case .string(let s) where UInt64(s) != nil: return .success(value)  // above Int.max, kept as text
            default: return fail()
            }
        case .number(let b):
            guard let d = value.number else { return fail() }
            guard d.isFinite else { return fail("not finite") }
            return b.contains(d) ? .success(.double(d)) : fail("out of range")
        case .choice(let c):
            guard let s = value.string else { return fail() }
            if c.contains(s) { return .success(value) }
            return fail(closestMatch(s, in: c).map { "did you mean \($0)?" } ?? "unknown value")
        case .string, .path:
            guard let s = value.string, !s.isEmpty else { return fail() }
            return .success(value)
        case let .list(element, unique, nonEmpty):
            guard case .list(let items) = value else { return fail() }
            if nonEmpty && items.isEmpty { return fail("the list is empty") }
            var out: [ConfigValue] = []
            for (i, item) in items.enumerated() {
                switch element.check(item) {
                case .success(let v):
                    if unique, out.contains(v) { return fail("\(v) is listed twice (item \(i + 1))") }
                    out.append(v)
                case .failure(let e): return .failure(ConfigTypeError(expected: summary, got: value, reason: "item \(i + 1): \(e.message)"))
                }
            }
            return .success(.list(out))
        case .literal(let s):
            return value.string == s ? .success(value) : fail()
        case .either(let alts):
            var reasons: [String] = []
            for a in alts {
                switch a.check(value) {
                case .success(let v): return .success(v)
                case .failure(let e): if let r = e.reason { reasons.append(r) }
                }
            }
            return fail(reasons.first)
        case .optional(let t):
            if value == .null { return .success(.null) }
            return t.check(value)
        case .pattern(_, let parse):
            guard let s = value.string, parse(s) else { return fail() }
            return .success(value)
        }
    }
}

/// Bounds of a number key, each end open or closed (`(0, 1]`, `[0, 100]`, `> 0`).
public struct NumberBounds: Sendable, Equatable {
    public var lower: Double?
    public var lowerInclusive: Bool
    public var upper: Double?
    public var upperInclusive: Bool

    public init(lower: Double? = nil, lowerInclusive: Bool = true, upper: Double? = nil, upperInclusive: Bool = true) {
        self.lower = lower; self.lowerInclusive = lowerInclusive; self.upper = upper; self.upperInclusive = upperInclusive
    }

    /// `(lo, hi]`-style bounds.
    public static func interval(_ lo: Double, _ hi: Double, lowerOpen: Bool = false, upperOpen: Bool = false) -> NumberBounds {
        NumberBounds(lower: lo, lowerInclusive: !lowerOpen, upper: hi, upperInclusive: !upperOpen)
    }

    /// Strictly positive (and finite).
    public static let positive = NumberBounds(lower: 0, lowerInclusive: false)

    /// The bounds of a domain type's declared range (`TranADConfig.learningRateRange`, …), so a config key checks
    /// exactly what the domain's `validate()` and the CLI's option types check. The domain's way of writing open
    /// ends is kept as such: a lower end of `leastNonzeroMagnitude` is "> 0", an upper end of `1.nextDown` is "< 1".
    public init(_ r: ClosedRange<Double>) {
        if r.lowerBound == .leastNonzeroMagnitude { lower = 0; lowerInclusive = false } else { lower = r.lowerBound; lowerInclusive = true }
        if r.upperBound == 1.0.nextDown { upper = 1; upperInclusive = false } else { upper = r.upperBound; upperInclusive = true }
    }

    /// The bounds of a half-open domain range ([a, b)).
    public init(_ r: Range<Double>) {
        lower = r.lowerBound; lowerInclusive = true; upper = r.upperBound; upperInclusive = false
    }

    public func contains(_ d: Double) -> Bool {
        if let lo = lower { if lowerInclusive ? d < lo : d <= lo { return false } }
        if let hi = upper { if upperInclusive ? d > hi : d >= hi { return false } }
        return true
    }

    public var summary: String {
        switch (lower, upper) {
        case let (lo?, hi?):
            return (lowerInclusive ? "in [" : "in (") + ConfigValue.format(lo) + ", " + ConfigValue.format(hi) + (upperInclusive ? "]" : ")")
        case let (lo?, nil): return (lowerInclusive ? "≥ " : "> ") + ConfigValue.format(lo)
        case let (nil, hi?): return (upperInclusive ? "≤ " : "< ") + ConfigValue.format(hi)
        case (nil, nil): return "(finite)"
        }
    }
}

/// Why a value does not fit its key's type.
public struct ConfigTypeError: Error, Equatable, Sendable {
    public var expected: String
    public var got: ConfigValue
    public var reason: String?

    /// `expected integer 1…10000, got 0 (out of range)`.
    public var message: String {
        let shown: String
        if case .string(let s) = got { shown = "'\(s)'" } else { shown = got.description }
        return "expected \(expected), got \(shown)" + (reason.map { " (\($0))" } ?? "")
    }
}

/// The candidate closest to `word` by edit distance, when it is close enough to be a likely typo.
public func closestMatch(_ word: String, in candidates: [String]) -> String? {
    var best: (String, Int)?
    for c in candidates {
        let d = editDistance(word.lowercased(), c.lowercased())
        if best == nil || d < best!.1 { best = (c, d) }
    }
    guard let (c, d) = best else { return nil }
    return d <= max(2, c.count / 3) ? c : nil
}

/// Levenshtein distance (insertions, deletions, substitutions each cost 1).
func editDistance(_ a: String, _ b: String) -> Int {
    let x = Array(a.unicodeScalars), y = Array(b.unicodeScalars)
    if x.isEmpty { return y.count }
    if y.isEmpty { return x.count }
    var prev = Array(0...y.count), cur = [Int](repeating: 0, count: y.count + 1)
    for i in 1...x.count {
        cur[0] = i
        for j in 1...y.count {
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x[i - 1] == y[j - 1] ? 0 : 1))
        }
        swap(&prev, &cur)
    }
    return prev[y.count]
}
