/// The values a Vigil checkpoint holds, as Python sees them after `torch.load`:
///
/// | case           | Python                         | pickled as (protocol 2)                        |
/// |----------------|--------------------------------|------------------------------------------------|
/// | `none`         | `None`                         | `N`                                            |
/// | `bool`         | `True` / `False`               | `\x88` / `\x89`                                |
/// | `int`          | `int`                          | `K` / `M` / `J` / `\x8a` (smallest that fits)  |
/// | `float`        | `float`                        | `G` + 8 bytes big endian                       |
/// | `string`       | `str`                          | `X` + u32 length + UTF-8                       |
/// | `dict`         | `dict` (str keys, in order)    | `}` then `(`k v …`u` / k v `s`                 |
/// | `orderedDict`  | `collections.OrderedDict`      | `c collections OrderedDict` `)` `R` then items |
/// | `tensor`       | `torch.Tensor` (CPU, contiguous) | `torch._utils._rebuild_tensor_v2(...)`, see `PickleWriter` |
///
/// Dictionary entries keep their order (Python dicts are ordered); keys are strings, as in every
/// `state_dict`. Equality is exact: floats compare by bit pattern, tensors bytewise.
public enum PickleValue: Equatable, Sendable {
    case none
    case bool(Bool)
    case int(Int64)
    case float(Double)
    case string(String)
    case dict([(key: String, value: PickleValue)])
    case orderedDict([(key: String, value: PickleValue)])
    case tensor(TorchTensor)

    public static func == (a: PickleValue, b: PickleValue) -> Bool {
        switch (a, b) {
        case (.none, .none): return true
        case let (.bool(x), .bool(y)): return x == y
        case let (.int(x), .int(y)): return x == y
        case let (.float(x), .float(y)): return x.bitPattern == y.bitPattern
        case let (.string(x), .string(y)): return x == y
        case let (.dict(x), .dict(y)), let (.orderedDict(x), .orderedDict(y)):
            return x.count == y.count && zip(x, y).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        case let (.tensor(x), .tensor(y)): return x == y
        default: return false
        }
    }

    /// `{"model_state_dict": OrderedDict(stateDict), "epoch": epoch}` — the checkpoint layout the serving
    /// component loads with `torch.load(path, weights_only=True)["model_state_dict"]`.
    public static func trainingCheckpoint(stateDict: [(key: String, tensor: TorchTensor)], epoch: Int) -> PickleValue {
        .dict([
            ("model_state_dict", .orderedDict(stateDict.map { ($0.key, .tensor($0.tensor)) })),
            ("epoch", .int(Int64(epoch))),
        ])
    }

    /// The entries of a dict or OrderedDict, else nil.
    public var entries: [(key: String, value: PickleValue)]? {
        switch self {
        case let .dict(e), let .orderedDict(e): return e
        default: return nil
        }
    }

    /// The value under `key` of a dict or OrderedDict (the last one if a key repeats), else nil.
    public subscript(key: String) -> PickleValue? {
        entries?.last(where: { $0.key == key })?.value
    }

    public var tensor: TorchTensor? { if case let .tensor(t) = self { return t } else { return nil } }
    public var int: Int64? { if case let .int(v) = self { return v } else { return nil } }
    public var float: Double? { if case let .float(v) = self { return v } else { return nil } }
    public var string: String? { if case let .string(v) = self { return v } else { return nil } }
    public var bool: Bool? { if case let .bool(v) = self { return v } else { return nil } }

    /// The tensors of the dict/OrderedDict under `key` (e.g. `"model_state_dict"`), in order; throws
    /// `.valueNotFound` when the key is missing, is not a dict, or holds a non-tensor value.
    public func stateDict(at key: String) throws -> [(key: String, tensor: TorchTensor)] {
        guard let sd = self[key] else { throw TorchCheckpointError.valueNotFound("no entry \"\(key)\" at the top level") }
        guard let e = sd.entries else { throw TorchCheckpointError.valueNotFound("\"\(key)\" is not a dict or OrderedDict") }
        return try e.map { entry in
            guard let t = entry.value.tensor else {
                throw TorchCheckpointError.valueNotFound("\"\(key)\"[\"\(entry.key)\"] is not a tensor")
            }
            return (entry.key, t)
        }
    }
}
