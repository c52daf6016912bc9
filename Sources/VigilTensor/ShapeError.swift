/// A shape problem in a tensor op; its `description` names the op and the shapes involved.
/// Ops stop with `fatalError(description)`; the `Shapes` helpers throw it so callers can check first.
public enum TensorShapeError: Error, CustomStringConvertible, Equatable {
    /// Shapes that cannot be broadcast together.
    case broadcast(op: String, lhs: [Int], rhs: [Int])
    /// matmul inner dimensions differ.
    case innerDimension(op: String, lhs: [Int], rhs: [Int])
    /// Batched matmul batch dimensions differ.
    case batch(op: String, lhs: [Int], rhs: [Int])
    /// Two shapes that had to be equal (or agree except on an axis) do not.
    case mismatch(op: String, lhs: [Int], rhs: [Int], detail: String)
    /// Wrong rank.
    case rank(op: String, shape: [Int], expected: String)
    /// Axis out of range.
    case axis(op: String, shape: [Int], axis: Int)
    /// Reshape to a different element count.
    case elementCount(op: String, shape: [Int], target: [Int])
    /// Slice range outside the axis.
    case range(op: String, shape: [Int], axis: Int, lower: Int, upper: Int)

    public var description: String {
        switch self {
        case let .broadcast(op, a, b):
            return "\(op): shapes \(shapeString(a)) and \(shapeString(b)) cannot be broadcast together"
        case let .innerDimension(op, a, b):
            return "\(op): shapes \(shapeString(a)) and \(shapeString(b)) do not match on the inner dimension"
        case let .batch(op, a, b):
            return "\(op): shapes \(shapeString(a)) and \(shapeString(b)) have different batch dimensions"
        case let .mismatch(op, a, b, detail):
            return "\(op): shapes \(shapeString(a)) and \(shapeString(b)) \(detail)"
        case let .rank(op, s, expected):
            return "\(op): shape \(shapeString(s)) has rank \(s.count), expected \(expected)"
        case let .axis(op, s, axis):
            return "\(op): axis \(axis) is out of range for shape \(shapeString(s))"
        case let .elementCount(op, s, t):
            return "\(op): cannot reshape \(shapeString(s)) (\(s.reduce(1, *)) elements) to \(shapeString(t))"
        case let .range(op, s, axis, lo, hi):
            return "\(op): range \(lo)..<\(hi) is outside axis \(axis) of shape \(shapeString(s))"
        }
    }
}

/// Formats a shape as "(3, 4)" ("()" for a scalar).
public func shapeString(_ s: [Int]) -> String { "(" + s.map(String.init).joined(separator: ", ") + ")" }

/// Stops with the error's message (shape errors are programming errors, as in PyTorch).
func shapeFailure(_ e: TensorShapeError) -> Never { fatalError(e.description) }

/// Shape rules of the ops, as throwing functions (the ops call these and stop on error).
public enum Shapes {
    /// NumPy broadcast of two shapes.
    public static func broadcast(_ a: [Int], _ b: [Int], op: String) throws -> [Int] {
        if a == b { return a }
        let r = max(a.count, b.count)
        var out = [Int](repeating: 1, count: r)
        for i in 0..<r {
            let da = i < r - a.count ? 1 : a[i - (r - a.count)]
            let db = i < r - b.count ? 1 : b[i - (r - b.count)]
            if da == db || db == 1 { out[i] = da } else if da == 1 { out[i] = db } else {
                throw TensorShapeError.broadcast(op: op, lhs: a, rhs: b)
            }
        }
        return out
    }

    /// Output shape of `matmul(a, b, transposeA:, transposeB:)`.
    public static func matmul(_ a: [Int], _ b: [Int], transposeA: Bool = false, transposeB: Bool = false) throws -> [Int] {
        guard a.count >= 2 else { throw TensorShapeError.rank(op: "matmul", shape: a, expected: "2, 3 or 4") }
        guard b.count >= 2 else { throw TensorShapeError.rank(op: "matmul", shape: b, expected: "2, 3 or 4") }
        let m = transposeA ? a[a.count - 1] : a[a.count - 2]
        let ka = transposeA ? a[a.count - 2] : a[a.count - 1]
        let kb = transposeB ? b[b.count - 1] : b[b.count - 2]
        let n = transposeB ? b[b.count - 2] : b[b.count - 1]
        guard ka == kb else { throw TensorShapeError.innerDimension(op: "matmul", lhs: a, rhs: b) }
        if b.count == 2 { return Array(a.dropLast(2)) + [m, n] }
        guard Array(a.dropLast(2)) == Array(b.dropLast(2)) else {
            throw TensorShapeError.batch(op: "matmul", lhs: a, rhs: b)
        }
        return Array(a.dropLast(2)) + [m, n]
    }

    /// Output shape of `linear(x, weight, bias)`: x (…, in), weight (out, in), bias (out).
    public static func linear(_ x: [Int], _ w: [Int], _ b: [Int]?) throws -> [Int] {
        guard w.count == 2 else { throw TensorShapeError.rank(op: "linear", shape: w, expected: "2 (weight is (out, in))") }
        guard x.count >= 1 else { throw TensorShapeError.rank(op: "linear", shape: x, expected: "at least 1") }
        guard x[x.count - 1] == w[1] else {
            throw TensorShapeError.mismatch(op: "linear", lhs: x, rhs: w, detail: "do not match: input features \(x[x.count - 1]) ≠ weight in-features \(w[1])")
        }
        if let b, b != [w[0]] {
            throw TensorShapeError.mismatch(op: "linear", lhs: w, rhs: b, detail: "do not match: bias must be (\(w[0]))")
        }
        return Array(x.dropLast()) + [w[0]]
    }

    /// Normalises a possibly negative axis for a tensor of `shape`.
    public static func axis(_ axis: Int, _ shape: [Int], op: String) throws -> Int {
        let a = axis < 0 ? axis + shape.count : axis
        guard a >= 0 && a < shape.count else { throw TensorShapeError.axis(op: op, shape: shape, axis: axis) }
        return a
    }

    /// Resolves a reshape target (one −1 allowed).
    public static func reshape(_ shape: [Int], to target: [Int]) throws -> [Int] {
        let count = shape.reduce(1, *)
        var t = target
        if let i = t.firstIndex(of: -1) {
            let rest = t.enumerated().filter { $0.offset != i }.map(\.element).reduce(1, *)
            guard rest > 0, count % rest == 0 else { throw TensorShapeError.elementCount(op: "reshape", shape: shape, target: target) }
            t[i] = count / rest
        }
        guard t.allSatisfy({ $0 >= 0 }), t.reduce(1, *) == count, t.count <= 4 else {
            throw TensorShapeError.elementCount(op: "reshape", shape: shape, target: target)
        }
        return t
    }

    /// Output shape of `concat(shapes, axis:)`.
    public static func concat(_ shapes: [[Int]], axis: Int) throws -> [Int] {
        guard let first = shapes.first else { throw TensorShapeError.rank(op: "concat", shape: [], expected: "at least one tensor") }
        let ax = try Shapes.axis(axis, first, op: "concat")
        var out = first
        for s in shapes.dropFirst() {
            guard s.count == first.count,
                  (0..<s.count).allSatisfy({ $0 == ax || s[$0] == first[$0] }) else {
                throw TensorShapeError.mismatch(op: "concat", lhs: first, rhs: s, detail: "differ outside axis \(ax)")
            }
            out[ax] += s[ax]
        }
        return out
    }
}

@inline(__always)
func check<T>(_ body: () throws -> T) -> T {
    do { return try body() } catch let e as TensorShapeError { shapeFailure(e) } catch { fatalError("\(error)") }
}
