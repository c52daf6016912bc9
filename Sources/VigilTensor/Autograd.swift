import Synchronization

/// Whether ops record their backward (`withNoGrad` turns it off for the current thread/task; nestable).
public enum GradMode {
    @TaskLocal static var disabled: Bool = false
    /// True outside any `withNoGrad` scope.
    public static var isEnabled: Bool { !disabled }
}

/// Runs `body` with gradient recording off: no op inside records a graph node (results have
/// `requiresGrad == false`). Nested scopes are fine; the previous mode is restored on exit.
@discardableResult
public func withNoGrad<R>(_ body: () throws -> R) rethrows -> R {
    try GradMode.$disabled.withValue(true, operation: body)
}

/// One recorded op: its inputs and how to map the output gradient to input gradients.
final class GradNode<Scalar: TensorScalar> {
    let name: String
    let inputs: [Tensor<Scalar>]
    /// (gradOutput, output) → one gradient (or nil) per input, each of that input's shape.
    let backward: (Tensor<Scalar>, Tensor<Scalar>) -> [Tensor<Scalar>?]
    init(name: String, inputs: [Tensor<Scalar>], backward: @escaping (Tensor<Scalar>, Tensor<Scalar>) -> [Tensor<Scalar>?]) {
        self.name = name; self.inputs = inputs; self.backward = backward
    }
}

// Marks for the DFS of `backward()`: a fresh value per call (atomic, so backward passes may run on several
// threads at once, on graphs that share no grad-requiring tensor).
private let visitCounter = Atomic<UInt64>(0)
func nextVisitMark() -> UInt64 {
    visitCounter.add(1, ordering: .relaxed).newValue
}

@inline(__always)
@_specialize(where S == Float)
@_specialize(where S == Double)
func shouldRecord<S>(_ a: Tensor<S>) -> Bool { a.requiresGrad && GradMode.isEnabled }
@inline(__always)
@_specialize(where S == Float)
@_specialize(where S == Double)
func shouldRecord<S>(_ a: Tensor<S>, _ b: Tensor<S>) -> Bool { (a.requiresGrad || b.requiresGrad) && GradMode.isEnabled }

extension Tensor {
    /// Attaches a backward node to `self` (an op's fresh output) and marks it as requiring grad.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func record(_ name: String, _ inputs: [Tensor<Scalar>],
                _ backward: @escaping (Tensor<Scalar>, Tensor<Scalar>) -> [Tensor<Scalar>?]) {
        gradNode = GradNode(name: name, inputs: inputs, backward: backward)
        requiresGrad = true
    }

    /// Registers a custom op (e.g. a fused kernel written in a higher module) on the autodiff graph.
    ///
    /// `output` must be a fresh tensor computed from `inputs`. If grad mode is on and some input requires
    /// grad, `backward(gradOutput)` is called during `backward()` (with grad recording off) and must return
    /// one gradient per input, shaped like that input, or nil for inputs that need none. Do not capture
    /// `output` strongly in the closure (use `makeOp(output:inputs:backwardWithOutput:)` to get it).
    @discardableResult
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static func makeOp(output: Tensor<Scalar>, inputs: [Tensor<Scalar>],
                              backward: @escaping (Tensor<Scalar>) -> [Tensor<Scalar>?]) -> Tensor<Scalar> {
        makeOp(output: output, inputs: inputs, name: "custom") { gy, _ in backward(gy) }
    }

    /// Like `makeOp(output:inputs:backward:)`, with the op's output passed to the closure as its second
    /// argument (for backward formulas written in terms of the output, e.g. softmax or sigmoid).
    @discardableResult
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public static func makeOp(output: Tensor<Scalar>, inputs: [Tensor<Scalar>], name: String = "custom",
                              backwardWithOutput: @escaping (Tensor<Scalar>, Tensor<Scalar>) -> [Tensor<Scalar>?]) -> Tensor<Scalar> {
        if GradMode.isEnabled && inputs.contains(where: { $0.requiresGrad }) {
            output.record(name, inputs, backwardWithOutput)
        }
        return output
    }

    /// True when this tensor was produced by a recorded op (it is not a leaf).
    public var hasGradFunction: Bool { gradNode != nil }
    /// Name of the op that produced this tensor, if recorded (e.g. "matmul").
    public var gradFunctionName: String? { gradNode?.name }

    /// Reverse-mode pass from this one-element tensor (seed 1): adds ∂self/∂leaf into every leaf's `grad`.
    /// The graph is kept, so calling it again accumulates again (as PyTorch with retain_graph).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func backward() {
        precondition(count == 1, "backward: needs a one-element (scalar) tensor, got shape \(shapeString(shape)); reduce it first (sum()/mean())")
        backward(seed: Tensor(repeating: 1, shape: shape))
    }

    /// Reverse-mode pass with an explicit output gradient `seed` (same shape as self).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func backward(seed: Tensor<Scalar>) {
        precondition(seed.shape == shape, "backward: seed shape \(shapeString(seed.shape)) differs from tensor shape \(shapeString(shape))")
        guard requiresGrad else {
            preconditionFailure("backward: tensor does not require grad (no input had requiresGrad = true, or it was computed inside withNoGrad)")
        }
        // Topological order by iterative post-order DFS over recorded inputs (deterministic: input order).
        let mark = nextVisitMark()
        var order: [Tensor<Scalar>] = []
        var stack: [(Tensor<Scalar>, Int)] = [(self, 0)]
        visitMark = mark
        while !stack.isEmpty {
            let (t, i) = stack[stack.count - 1]
            if let node = t.gradNode, i < node.inputs.count {
                stack[stack.count - 1].1 = i + 1
                let c = node.inputs[i]
                if c.requiresGrad && c.visitMark != mark {
                    c.visitMark = mark
                    stack.append((c, 0))
                }
            } else {
                order.append(t)
                stack.removeLast()
            }
        }
        withNoGrad {
            pendingGrad = seed
            for t in order.reversed() {
                guard let g = t.pendingGrad else { continue }
                t.pendingGrad = nil
                guard let node = t.gradNode else {
                    t.accumulateLeafGrad(g)
                    continue
                }
                let grads = node.backward(g, t)
                precondition(grads.count == node.inputs.count,
                             "backward of \(node.name): returned \(grads.count) gradients for \(node.inputs.count) inputs")
                for (inp, gOpt) in zip(node.inputs, grads) {
                    guard inp.requiresGrad, let gi = gOpt else { continue }
                    precondition(gi.shape == inp.shape,
                                 "backward of \(node.name): gradient shape \(shapeString(gi.shape)) differs from input shape \(shapeString(inp.shape))")
                    if inp.gradNode == nil {
                        inp.accumulateLeafGrad(gi)
                    } else if let p = inp.pendingGrad {
                        inp.pendingGrad = p + gi
                    } else {
                        inp.pendingGrad = gi
                    }
                }
            }
        }
    }

    /// grad += g (the first time: a private copy of g).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func accumulateLeafGrad(_ g: Tensor<Scalar>) {
        if let existing = grad {
            Scalar.binaryForward(.add, .flat(count), existing.data, g.data, existing.data)
        } else {
            let c = g.copy()
            grad = c.shape == shape ? c : Tensor(viewOf: c, shape: shape)
        }
    }
}
