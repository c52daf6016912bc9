import VigilTensor

/// Gives a stored property of a `Module` its PyTorch `state_dict` key instead of the property name:
///
///     @StateDictKey("in_proj_weight") public private(set) var inProjWeight: Tensor<Scalar>
///     @StateDictKey("transformer_encoder.layers.0") public private(set) var encoder: TranADEncoderLayer<Scalar>
///
/// The key is the name the parameter (or the child's prefix) has in `namedParameters`, `exportParameters`
/// and `loadParameters`. Assign the value once, in `init`, through the wrapper (as mlx-swift's `@ModuleInfo`),
/// which also works before `super.init()`:
///
///     _inProjWeight.wrappedValue = Tensor(uniform: [3 * d, d], low: -bound, high: bound, rng: &rng)
///
/// (modules read their members once, on first use). Reading it before it is assigned stops with the key.
@propertyWrapper
public struct StateDictKey<Value> {
    /// The state_dict name of the property.
    public let key: String
    private var value: Value?
    /// A property named `key`, assigned in `init`.
    public init(_ key: String) { self.key = key }
    /// A property named `key` with an initial value.
    public init(wrappedValue: Value, _ key: String) {
        self.key = key
        self.value = wrappedValue
    }
    public var wrappedValue: Value {
        get {
            guard let value else { preconditionFailure("@StateDictKey(\"\(key)\"): read before the module's init assigned it") }
            return value
        }
        set { value = newValue }
    }
}

/// Lets reflection read a `StateDictKey` whatever its value type.
private protocol StateDictKeyed {
    var key: String { get }
    var keyedValue: Any { get }
}
extension StateDictKey: StateDictKeyed {
    fileprivate var keyedValue: Any { value as Any }
}

/// A layer or model with named parameters in PyTorch `state_dict` order and naming (subclass it).
///
/// Members register, like PyTorch's, from the stored properties in declaration order (superclass first):
/// `Tensor<Scalar>` properties with `requiresGrad == true` are the module's own parameters; properties holding a
/// `Module<Scalar>` (or an array of them, named `name.0`, `name.1`, … as `nn.ModuleList`) are its children.
/// Optionals are unwrapped. A property's name is its key unless `@StateDictKey("key")` gives another.
/// `namedParameters` lists own parameters first, then each child's with the prefix `"child."`, recursively —
/// exactly `torch.nn.Module.state_dict()` order for parameter-only models.
///
/// The members are reflected once, on the first use of any member list, and cached (parameters and children
/// are fixed after `init`). The lists are `final`: a subclass cannot replace them, so a near-miss declaration
/// (e.g. `var submodules: [(String, Module<Float>)]`) does not compile instead of being ignored; names come
/// only from the declarations. Two members with the same key stop the program with both property names.
/// The first use must not race with another thread's first use of the same module.
open class Module<Scalar: TensorScalar> {
    /// Training mode flag (dropout active). Use `train()` / `eval()` to set it for the whole tree.
    public var isTraining = true

    public init() {}

    private lazy var members: Members = Members(reflecting: self)

    /// This module's own parameters (not its children's), in registration order.
    public final var localParameters: [(name: String, tensor: Tensor<Scalar>)] { members.parameters }
    /// Direct children, in registration order.
    public final var submodules: [(name: String, module: Module<Scalar>)] { members.modules }
    /// All parameters with dotted names: own, then children's prefixed with the child's key (cached).
    public final var namedParameters: [(name: String, tensor: Tensor<Scalar>)] { members.named }
    /// All parameter tensors in `namedParameters` order.
    public final var parameters: [Tensor<Scalar>] { members.named.map(\.tensor) }
    /// Total number of scalars in the parameters.
    public final var parameterCount: Int { members.named.reduce(0) { $0 + $1.tensor.count } }

    /// Sets `isTraining` on this module and all descendants.
    public final func setTraining(_ on: Bool) {
        isTraining = on
        for (_, child) in submodules { child.setTraining(on) }
    }
    /// Training mode for the whole tree (dropout active).
    public final func train() { setTraining(true) }
    /// Evaluation mode for the whole tree (dropout is the identity).
    public final func eval() { setTraining(false) }

    /// Clears every parameter's gradient.
    public final func zeroGrad() { for (_, t) in namedParameters { t.zeroGrad() } }

    /// Parameter name → row-major values (PyTorch state_dict names).
    public final func exportParameters() -> [String: [Scalar]] {
        var d: [String: [Scalar]] = [:]
        for (n, t) in namedParameters { d[n] = t.scalars }
        return d
    }

    /// Ordered (name, shape, values) list, as `state_dict().items()`.
    public final func stateDict() -> [(name: String, shape: [Int], scalars: [Scalar])] {
        namedParameters.map { (name: $0.name, shape: $0.tensor.shape, scalars: $0.tensor.scalars) }
    }

    /// Overwrites the parameters from `values`, converted to `Scalar` (every parameter must be present with the
    /// right count; with `strict`, no extra names are allowed). Nothing is written when an error is thrown.
    public final func loadParameters<V: BinaryFloatingPoint>(_ values: [String: [V]], strict: Bool = true) throws {
        let named = namedParameters
        for (n, t) in named {
            guard let v = values[n] else { throw ModuleError.missingParameter(n) }
            guard v.count == t.count else { throw ModuleError.wrongCount(name: n, expected: t.count, found: v.count) }
        }
        if strict {
            let names = Set(named.map(\.name))
            if let extra = values.keys.sorted().first(where: { !names.contains($0) }) { throw ModuleError.unexpectedParameter(extra) }
        }
        for (n, t) in named { t.assign(values[n]!.map { Scalar($0) }) }
    }

    /// The reflected member lists of one module.
    private struct Members {
        var parameters: [(name: String, tensor: Tensor<Scalar>)] = []
        var modules: [(name: String, module: Module<Scalar>)] = []
        var named: [(name: String, tensor: Tensor<Scalar>)] = []

        /// Parameters and child modules among `object`'s stored properties (superclass first, declaration order).
        init(reflecting object: Module<Scalar>) {
            var keys: [String: String] = [:]  // key → property, to catch duplicates
            func register(_ key: String, property: String) {
                if let other = keys.updateValue(property, forKey: key) {
                    preconditionFailure("\(type(of: object)): properties '\(other)' and '\(property)' both have the state_dict key '\(key)'")
                }
            }
            func visit(_ key: String, _ property: String, _ value: Any) {
                if let keyed = value as? StateDictKeyed {
                    visit(keyed.key, property, keyed.keyedValue)
                } else if let t = value as? Tensor<Scalar> {
                    if t.requiresGrad { register(key, property: property); parameters.append((name: key, tensor: t)) }
                } else if let m = value as? Module<Scalar> {
                    if m !== object { register(key, property: property); modules.append((name: key, module: m)) }
                } else if let list = value as? [Module<Scalar>] {
                    for (i, m) in list.enumerated() { register("\(key).\(i)", property: property); modules.append((name: "\(key).\(i)", module: m)) }
                }
            }
            var mirrors: [Mirror] = []
            var mirror: Mirror? = Mirror(reflecting: object)
            while let m = mirror { mirrors.append(m); mirror = m.superclassMirror }
            for m in mirrors.reversed() {
                for child in m.children {
                    guard var label = child.label else { continue }
                    if label.hasPrefix("$__lazy_storage_$_") { label.removeFirst("$__lazy_storage_$_".count) }
                    if label.hasPrefix("_"), child.value is StateDictKeyed { label.removeFirst() }  // wrapper storage
                    visit(label, label, child.value)
                }
            }
            named = parameters
            for (name, child) in modules {
                for (n, t) in child.namedParameters { named.append((name: name + "." + n, tensor: t)) }
            }
        }
    }
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
