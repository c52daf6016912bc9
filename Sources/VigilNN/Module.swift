import VigilTensor

/// A layer or model with named parameters in PyTorch `state_dict` order and naming.
///
/// Implement `localParameters` (own tensors, registration order) and `submodules` (direct children,
/// registration order); `namedParameters` then lists own parameters first, then each child's with the
/// prefix `"child."`, recursively — exactly `torch.nn.Module.state_dict()` order for parameter-only models.
public protocol Module<Scalar>: AnyObject {
    associatedtype Scalar: TensorScalar
    /// This module's own parameters (not its children's), in registration order.
    var localParameters: [(name: String, tensor: Tensor<Scalar>)] { get }
    /// Direct children, in registration order.
    var submodules: [(name: String, module: any Module<Scalar>)] { get }
    /// All parameters with dotted names (default: own, then children prefixed).
    var namedParameters: [(name: String, tensor: Tensor<Scalar>)] { get }
    /// Training mode flag (dropout active). Use `train()` / `eval()` to set it for the whole tree.
    var isTraining: Bool { get set }
}

/// Errors loading parameters into a module.
public enum ModuleError: Error, CustomStringConvertible, Equatable {
    case missingParameter(String)
    case unexpectedParameter(String)
    case wrongCount(name: String, expected: Int, found: Int)

    public var description: String {
        switch self {
        case .missingParameter(let n): return "loadParameters: no value for parameter '\(n)'; export the model with exportParameters() to see the expected names"
        case .unexpectedParameter(let n): return "loadParameters: '\(n)' is not a parameter of this model (strict loading); remove it or pass strict: false"
        case let .wrongCount(n, e, f): return "loadParameters: parameter '\(n)' needs \(e) values, found \(f)"
        }
    }
}

extension Module {
    public var localParameters: [(name: String, tensor: Tensor<Scalar>)] { [] }
    public var submodules: [(name: String, module: any Module<Scalar>)] { [] }

    public var namedParameters: [(name: String, tensor: Tensor<Scalar>)] {
        var out = localParameters
        for (name, child) in submodules {
            for (n, t) in child.namedParameters { out.append((name: name + "." + n, tensor: t)) }
        }
        return out
    }

    /// All parameter tensors in `namedParameters` order.
    public var parameters: [Tensor<Scalar>] { namedParameters.map(\.tensor) }

    /// Total number of scalars in the parameters.
    public var parameterCount: Int { namedParameters.reduce(0) { $0 + $1.tensor.count } }

    /// Sets `isTraining` on this module and all descendants.
    public func setTraining(_ on: Bool) {
        isTraining = on
        for (_, child) in submodules { child.setTraining(on) }
    }

    /// Training mode for the whole tree (dropout active).
    public func train() { setTraining(true) }
    /// Evaluation mode for the whole tree (dropout is the identity).
    public func eval() { setTraining(false) }

    /// Clears every parameter's gradient.
    public func zeroGrad() { for (_, t) in namedParameters { t.zeroGrad() } }

    /// Parameter name → row-major values (PyTorch state_dict names).
    public func exportParameters() -> [String: [Scalar]] {
        var d: [String: [Scalar]] = [:]
        for (n, t) in namedParameters { d[n] = t.scalars }
        return d
    }

    /// Ordered (name, shape, values) list, as `state_dict().items()`.
    public func stateDict() -> [(name: String, shape: [Int], scalars: [Scalar])] {
        namedParameters.map { (name: $0.name, shape: $0.tensor.shape, scalars: $0.tensor.scalars) }
    }

    /// Overwrites the parameters from `values` (every parameter must be present with the right count;
    /// with `strict`, no extra names are allowed). Nothing is written when an error is thrown.
    public func loadParameters(_ values: [String: [Scalar]], strict: Bool = true) throws {
        let named = namedParameters
        for (n, t) in named {
            guard let v = values[n] else { throw ModuleError.missingParameter(n) }
            guard v.count == t.count else { throw ModuleError.wrongCount(name: n, expected: t.count, found: v.count) }
        }
        if strict {
            let names = Set(named.map(\.name))
            if let extra = values.keys.sorted().first(where: { !names.contains($0) }) { throw ModuleError.unexpectedParameter(extra) }
        }
        for (n, t) in named { t.assign(values[n]!) }
    }
}
