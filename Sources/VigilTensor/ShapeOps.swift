// Shape ops (reshape, permute, concat, slice, split, repeat), reductions and softmax.

extension Tensor {
    /// Same data, new shape (one −1 allowed); a view sharing storage. Backward reshapes the gradient back.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func reshaped(_ newShape: [Int]) -> Tensor<Scalar> {
        let target = check { try Shapes.reshape(shape, to: newShape) }
        let out = Tensor(viewOf: self, shape: target)
        if shouldRecord(self) {
            let src = shape
            out.record("reshape", [self]) { gy, _ in [gy.reshaped(src)] }
        }
        return out
    }

    /// Axes reordered: result dim i is input dim `axes[i]` (a copy). Negative axes count from the end.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func permuted(_ axes: [Int]) -> Tensor<Scalar> {
        let ax = check { try axes.map { try Shapes.axis($0, shape, op: "permute") } }
        if ax.count != rank || Set(ax).count != rank {
            shapeFailure(.mismatch(op: "permute", lhs: shape, rhs: axes, detail: "do not match: axes must be a permutation of 0..<\(rank)"))
        }
        let outShape = ax.map { shape[$0] }
        let cs = contiguousStrides(shape)
        let out = Tensor(uninitialized: outShape)
        let plan = StridedPlan(shape: outShape, st1: ax.map { cs[$0] }, st2: [Int](repeating: 0, count: rank))
        Scalar.stridedCopy(plan, data, out.data)
        if shouldRecord(self) {
            var inverse = [Int](repeating: 0, count: ax.count)
            for (i, a) in ax.enumerated() { inverse[a] = i }
            out.record("permute", [self]) { gy, _ in [gy.permuted(inverse)] }
        }
        return out
    }

    /// Swaps two axes (a copy).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func transposed(_ a: Int = -2, _ b: Int = -1) -> Tensor<Scalar> {
        let i = check { try Shapes.axis(a, shape, op: "transpose") }
        let j = check { try Shapes.axis(b, shape, op: "transpose") }
        var axes = Array(0..<rank)
        axes.swapAt(i, j)
        return permuted(axes)
    }

    /// Elements `range` along `axis` (a copy). Backward scatters the gradient into zeros.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func slice(axis: Int, range: Range<Int>) -> Tensor<Scalar> {
        let ax = check { try Shapes.axis(axis, shape, op: "slice") }
        guard range.lowerBound >= 0 && range.upperBound <= shape[ax] else {
            shapeFailure(.range(op: "slice", shape: shape, axis: ax, lower: range.lowerBound, upper: range.upperBound))
        }
        var outShape = shape
        outShape[ax] = range.count
        // x viewed as (outer, len, inner) → out (outer, range.count, inner): one memcpy per outer index.
        let outer = shape[..<ax].reduce(1, *), inner = shape[(ax + 1)...].reduce(1, *)
        let len = shape[ax]
        let out = Tensor(uninitialized: outShape)
        let bytes = range.count * inner * MemoryLayout<Scalar>.stride
        if bytes > 0 {
            for o in 0..<outer {
                UnsafeMutableRawPointer(out.data + o * range.count * inner)
                    .copyMemory(from: data + (o * len + range.lowerBound) * inner, byteCount: bytes)
            }
        }
        if shouldRecord(self) {
            let src = shape
            out.record("slice", [self]) { gy, _ in
                let g = Tensor(zeros: src)
                if bytes > 0 {
                    for o in 0..<outer {
                        UnsafeMutableRawPointer(g.data + (o * len + range.lowerBound) * inner)
                            .copyMemory(from: gy.data + o * range.count * inner, byteCount: bytes)
                    }
                }
                return [g]
            }
        }
        return out
    }

    /// Tiles the tensor `count` times along `axis` (PyTorch `repeat` with 1 elsewhere): result axis size is
    /// count·shape[axis], copies laid end to end. Backward sums the copies.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func repeated(_ count: Int, axis: Int) -> Tensor<Scalar> {
        precondition(count >= 1, "repeated: count must be ≥ 1, got \(count)")
        let ax = check { try Shapes.axis(axis, shape, op: "repeat") }
        var outShape = shape
        outShape[ax] *= count
        // x viewed as (outer, block) → out (outer, count, block); backward sums gy (outer, count, block) over count.
        let outer = shape[..<ax].reduce(1, *), block = shape[ax...].reduce(1, *)
        let out = Tensor(uninitialized: outShape)
        let bytes = block * MemoryLayout<Scalar>.stride
        if bytes > 0 {
            for o in 0..<outer {
                for r in 0..<count {
                    UnsafeMutableRawPointer(out.data + (o * count + r) * block).copyMemory(from: data + o * block, byteCount: bytes)
                }
            }
        }
        if shouldRecord(self) {
            let src = shape
            out.record("repeat", [self]) { gy, _ in
                let g = Tensor(zeros: src)
                Scalar.reduceSum(StridedPlan(n: SIMD4(1, outer, count, block), s1: SIMD4(0, block, 0, 1), s2: SIMD4(0, 0, 0, 0)), gy.data, g.data)
                return [g]
            }
        }
        return out
    }

    /// Sum over `axes` (negative allowed); `keepDims` keeps them as size 1.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func sum(axes: [Int], keepDims: Bool = false) -> Tensor<Scalar> {
        let ax = Set(check { try axes.map { try Shapes.axis($0, shape, op: "sum") } })
        var kept = shape
        for a in ax { kept[a] = 1 }
        let outShape = keepDims ? kept : shape.enumerated().filter { !ax.contains($0.offset) }.map(\.element)
        let out = Tensor(zeros: outShape)
        if count > 0 {
            let plan = StridedPlan(shape: shape, st1: broadcastStrides(kept, to: shape), st2: [Int](repeating: 0, count: rank))
            Scalar.reduceSum(plan, data, out.data)
        }
        if shouldRecord(self) {
            let src = shape
            out.record("sum", [self]) { gy, _ in [gy.reshaped(kept).expanded(to: src)] }
        }
        return out
    }

    /// Mean over `axes` (sum / number of reduced elements).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func mean(axes: [Int], keepDims: Bool = false) -> Tensor<Scalar> {
        let ax = Set(check { try axes.map { try Shapes.axis($0, shape, op: "mean") } })
        let n = ax.reduce(1) { $0 * shape[$1] }
        return sum(axes: axes, keepDims: keepDims) / Scalar(n)
    }

    /// Sum of all elements (rank 0; accumulated in Double).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func sum() -> Tensor<Scalar> {
        let out = Tensor(scalar: Scalar(Scalar.sumAll(data, count)))
        if shouldRecord(self) {
            let src = shape
            out.record("sumAll", [self]) { gy, _ in [Tensor(repeating: gy.data[0], shape: src)] }
        }
        return out
    }

    /// Mean of all elements (rank 0).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func mean() -> Tensor<Scalar> {
        let out = Tensor(scalar: Scalar(Scalar.sumAll(data, count) / Double(count)))
        if shouldRecord(self) {
            let src = shape, n = Scalar(count)
            out.record("meanAll", [self]) { gy, _ in [Tensor(repeating: gy.data[0] / n, shape: src)] }
        }
        return out
    }
}

/// Joins tensors along `axis` (all other dims equal). Backward hands each input its slice.
@_specialize(where S == Float)
@_specialize(where S == Double)
public func concat<S>(_ tensors: [Tensor<S>], axis: Int) -> Tensor<S> {
    let outShape = check { try Shapes.concat(tensors.map(\.shape), axis: axis) }
    let ax = axis < 0 ? axis + outShape.count : axis
    // out viewed as (outer, total, inner); input i fills the columns offsets[i] ..< offsets[i] + len_i.
    let outer = outShape[..<ax].reduce(1, *), inner = outShape[(ax + 1)...].reduce(1, *)
    let total = outShape[ax]
    let out = Tensor<S>(uninitialized: outShape)
    var offset = 0
    var offsets: [Int] = []
    for t in tensors {
        offsets.append(offset)
        let len = t.shape[ax]
        let bytes = len * inner * MemoryLayout<S>.stride
        if bytes > 0 {
            for o in 0..<outer {
                UnsafeMutableRawPointer(out.data + (o * total + offset) * inner).copyMemory(from: t.data + o * len * inner, byteCount: bytes)
            }
        }
        offset += len
    }
    if GradMode.isEnabled && tensors.contains(where: { $0.requiresGrad }) {
        let shapes = tensors.map(\.shape), needs = tensors.map(\.requiresGrad)
        out.record("concat", tensors) { gy, _ in
            var grads: [Tensor<S>?] = []
            for (i, s) in shapes.enumerated() {
                guard needs[i] else { grads.append(nil); continue }
                let len = s[ax]
                let g = Tensor<S>(uninitialized: s)
                let bytes = len * inner * MemoryLayout<S>.stride
                if bytes > 0 {
                    for o in 0..<outer {
                        UnsafeMutableRawPointer(g.data + o * len * inner).copyMemory(from: gy.data + (o * total + offsets[i]) * inner, byteCount: bytes)
                    }
                }
                grads.append(g)
            }
            return grads
        }
    }
    return out
}

/// Splits along `axis` into consecutive pieces of the given sizes (which must sum to the axis length).
@_specialize(where S == Float)
@_specialize(where S == Double)
public func split<S>(_ x: Tensor<S>, sizes: [Int], axis: Int) -> [Tensor<S>] {
    let ax = check { try Shapes.axis(axis, x.shape, op: "split") }
    guard sizes.reduce(0, +) == x.shape[ax], sizes.allSatisfy({ $0 >= 0 }) else {
        shapeFailure(.mismatch(op: "split", lhs: x.shape, rhs: sizes, detail: "do not match: sizes must sum to axis \(ax) length \(x.shape[ax])"))
    }
    var start = 0
    return sizes.map { n in
        defer { start += n }
        return x.slice(axis: ax, range: start..<(start + n))
    }
}

/// Softmax over the last axis, max-subtracted: y = exp(x − max) / Σ exp(x − max).
@_specialize(where S == Float)
@_specialize(where S == Double)
public func softmax<S>(_ x: Tensor<S>) -> Tensor<S> {
    guard x.rank >= 1 else { shapeFailure(.rank(op: "softmax", shape: x.shape, expected: "at least 1")) }
    let cols = x.shape[x.rank - 1]
    let rows = cols == 0 ? 0 : x.count / cols
    let out = Tensor<S>(uninitialized: x.shape)
    S.softmaxForward(x.data, out.data, rows: rows, cols: cols)
    if shouldRecord(x) {
        out.record("softmax", [x]) { gy, y in
            let gx = Tensor<S>(uninitialized: y.shape)
            S.softmaxBackward(y: y.data, gy: gy.data, gx: gx.data, rows: rows, cols: cols)
            return [gx]
        }
    }
    return out
}
