/// Iteration plan for an elementwise loop over up to three operands with broadcasting or permuted strides.
///
/// Dimensions are coalesced (adjacent dims merged when every operand is contiguous across them, size-1 dims
/// dropped) and front-padded to exactly 4, outermost first. Operand 0 is always the contiguous one (the
/// output of a forward kernel, or the full-size source of a reduction); its offset is a running counter.
/// A stride of 0 means the operand is broadcast (or reduced) along that dimension.
public struct StridedPlan: Sendable {
    /// Sizes of the 4 (coalesced, padded) dimensions.
    public var n: SIMD4<Int>
    /// Strides of operand 1 and operand 2 (elements), per dimension.
    public var s1: SIMD4<Int>
    public var s2: SIMD4<Int>
    /// Total number of iterations (product of `n`).
    public var count: Int { n[0] * n[1] * n[2] * n[3] }

    /// A flat plan: `count` contiguous elements for every operand.
    @inlinable
    public static func flat(_ count: Int) -> StridedPlan {
        StridedPlan(n: SIMD4(1, 1, 1, count), s1: SIMD4(0, 0, 0, 1), s2: SIMD4(0, 0, 0, 1))
    }

    @inlinable
    init(n: SIMD4<Int>, s1: SIMD4<Int>, s2: SIMD4<Int>) {
        self.n = n; self.s1 = s1; self.s2 = s2
    }

    /// Builds a plan over `shape` (operand 0, contiguous) with operand strides `st1`, `st2`
    /// (same rank as `shape`, 0 on broadcast dims).
    init(shape: [Int], st1: [Int], st2: [Int]) {
        var sizes: [Int] = []
        var a: [Int] = []
        var b: [Int] = []
        sizes.reserveCapacity(4); a.reserveCapacity(4); b.reserveCapacity(4)
        // operand-0 contiguous strides
        var c0 = [Int](repeating: 1, count: shape.count)
        var acc = 1
        for i in stride(from: shape.count - 1, through: 0, by: -1) { c0[i] = acc; acc *= shape[i] }
        var z: [Int] = []
        z.reserveCapacity(4)
        for i in 0..<shape.count where shape[i] != 1 {
            if let last = sizes.last,
               z[z.count - 1] == c0[i] * shape[i],
               a[a.count - 1] == st1[i] * shape[i],
               b[b.count - 1] == st2[i] * shape[i] {
                sizes[sizes.count - 1] = last * shape[i]
                z[z.count - 1] = c0[i]; a[a.count - 1] = st1[i]; b[b.count - 1] = st2[i]
            } else {
                sizes.append(shape[i]); z.append(c0[i]); a.append(st1[i]); b.append(st2[i])
            }
        }
        precondition(sizes.count <= 4, "StridedPlan: more than 4 non-trivial dimensions in \(shape)")
        var nn = SIMD4<Int>(1, 1, 1, 1), aa = SIMD4<Int>(0, 0, 0, 0), bb = SIMD4<Int>(0, 0, 0, 0)
        let off = 4 - sizes.count
        for i in 0..<sizes.count { nn[off + i] = sizes[i]; aa[off + i] = a[i]; bb[off + i] = b[i] }
        if sizes.isEmpty { aa[3] = 0; bb[3] = 0 }
        self.init(n: nn, s1: aa, s2: bb)
    }

    /// Calls `body(o, off1, off2)` for every row: `o` is operand 0's offset of the row start (rows are
    /// `n[3]` long and contiguous in operand 0), `off1`/`off2` the other operands' row-start offsets.
    @inline(__always)
    func forEachRow(_ body: (Int, Int, Int) -> Void) {
        var o = 0
        let n3 = n[3]
        for i0 in 0..<n[0] {
            let a0 = i0 * s1[0], b0 = i0 * s2[0]
            for i1 in 0..<n[1] {
                let a1 = a0 + i1 * s1[1], b1 = b0 + i1 * s2[1]
                for i2 in 0..<n[2] {
                    body(o, a1 + i2 * s1[2], b1 + i2 * s2[2])
                    o += n3
                }
            }
        }
    }
}

/// Contiguous row-major strides of `shape`.
@inlinable
public func contiguousStrides(_ shape: [Int]) -> [Int] {
    var s = [Int](repeating: 1, count: shape.count)
    var acc = 1
    for i in stride(from: shape.count - 1, through: 0, by: -1) { s[i] = acc; acc *= shape[i] }
    return s
}

/// Strides of an operand of shape `shape` broadcast against `target` (rank of target; 0 on broadcast dims).
func broadcastStrides(_ shape: [Int], to target: [Int]) -> [Int] {
    let r = target.count
    let pad = r - shape.count
    let cs = contiguousStrides(shape)
    var out = [Int](repeating: 0, count: r)
    for i in 0..<shape.count where !(shape[i] == 1 && target[pad + i] != 1) {
        out[pad + i] = shape[i] == 1 ? 0 : cs[i]
    }
    return out
}
