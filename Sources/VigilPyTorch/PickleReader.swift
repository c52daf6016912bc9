/// Reads `data.pkl` back into a `PickleValue`: a restricted protocol-2 unpickler for the objects
/// `torch.save` produces from dicts / OrderedDicts of tensors and scalars. It implements the opcodes in
/// `PickleOpcode` with CPython's semantics (`Lib/pickle.py`, `_Unpickler`; the stack/metastack model
/// and memo of `torch/_weights_only_unpickler.py`) and only these globals:
///
/// - `collections.OrderedDict` called with no arguments (`) R`),
/// - `torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad, OrderedDict())`,
/// - `torch.<T>Storage` for the `TorchDType`s, inside persistent ids `('storage', type, key, location, numel)`.
///
/// Beyond what the writer emits it accepts what torch's pickler produces for the same objects: any memo
/// pattern (`q r h j`), integers in any width, tensors that share a storage (views, tied weights),
/// non-zero storage offsets and non-contiguous strides (copied into C order). Everything else — lists,
/// sets, bytes, `BUILD`, other globals — is `.unsupportedPickle`.
///
/// Hostile input cannot trap or exhaust memory: every read is bounds-checked, every size/offset product
/// is overflow-checked, containers nest at most `maxDepth` deep, a dict object may appear only once in the
/// result (no cycles, no exponential sharing), and bytes copied for non-contiguous views are capped by
/// `copyBudget`.
struct PickleReader {
    /// Resolves a persistent id's storage: key, dtype, numel → exactly numel · elementSize bytes.
    typealias StorageLoader = (_ key: String, _ dtype: TorchDType, _ numel: Int) throws -> [UInt8]

    static let maxDepth = 64

    private enum Global { case orderedDict, rebuildTensorV2, storageType(TorchDType) }

    private struct Storage { let key: String; let dtype: TorchDType; let numel: Int; let bytes: [UInt8] }

    private enum Item {
        case none, bool(Bool), int(Int64), float(Double), string(String)
        case tuple([Item], depth: Int)
        case dict(Int)                      // index into `dicts`
        case global(Global)
        case storage(Storage)
        case tensor(TorchTensor)
    }

    private struct Dict {
        let ordered: Bool
        var entries: [(key: String, value: Item)] = []
        var position: [String: Int] = [:]
    }

    private let data: [UInt8]
    private var pos = 0
    private var stack: [Item] = []
    private var metastack: [[Item]] = []
    private var memo: [Int: Item] = [:]
    private var dicts: [Dict] = []
    private var copyBudget: Int
    private let loadStorage: StorageLoader

    /// Unpickles `data`; `copyBudget` bounds the bytes copied to rebuild non-contiguous or offset views.
    static func read(_ data: [UInt8], copyBudget: Int, loadStorage: @escaping StorageLoader) throws -> PickleValue {
        var r = PickleReader(data: data, copyBudget: copyBudget, loadStorage: loadStorage)
        return try r.run()
    }

    private init(data: [UInt8], copyBudget: Int, loadStorage: @escaping StorageLoader) {
        self.data = data
        self.copyBudget = copyBudget
        self.loadStorage = loadStorage
    }

    // MARK: - Errors and primitive reads

    private func malformed(_ why: String, at: Int? = nil) -> TorchCheckpointError {
        .malformedPickle(offset: at ?? pos, reason: why)
    }

    private func unsupported(_ why: String, at: Int? = nil) -> TorchCheckpointError {
        .unsupportedPickle(offset: at ?? pos, reason: why)
    }

    private mutating func take(_ n: Int) throws -> ArraySlice<UInt8> {
        guard n >= 0, n <= data.count - pos else { throw malformed("needs \(n) more bytes, the pickle ends first") }
        defer { pos += n }
        return data[pos..<(pos + n)]
    }

    private mutating func byte() throws -> UInt8 { try take(1).first! }

    private mutating func uint(_ n: Int) throws -> UInt64 {
        var v: UInt64 = 0
        for (i, b) in try take(n).enumerated() { v |= UInt64(b) << UInt64(8 * i) }
        return v
    }

    private mutating func line() throws -> String {
        guard let nl = data[pos...].prefix(256).firstIndex(of: 0x0A) else {
            throw malformed("GLOBAL name without a newline in the next 256 bytes")
        }
        let raw = data[pos..<nl]
        pos = nl + 1
        guard raw.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) else { throw malformed("GLOBAL name is not printable ASCII") }
        return String(decoding: raw, as: UTF8.self)
    }

    private mutating func pop() throws -> Item {
        guard let x = stack.popLast() else { throw malformed("stack underflow") }
        return x
    }

    private mutating func popMark() throws -> [Item] {
        guard let outer = metastack.popLast() else { throw malformed("no MARK to pop to") }
        let items = stack
        stack = outer
        return items
    }

    private mutating func memoIndex(_ wide: Bool) throws -> Int { Int(try wide ? uint(4) : uint(1)) }

    // MARK: - The loop

    private mutating func run() throws -> PickleValue {
        while true {
            let at = pos
            let op = try byte()
            switch op {
            case PickleOpcode.proto:
                guard try byte() <= 5 else { throw malformed("unknown pickle protocol", at: at) }
            case PickleOpcode.stop:
                guard metastack.isEmpty, stack.count == 1 else {
                    throw malformed("STOP with \(stack.count) items on the stack and \(metastack.count) open MARKs", at: at)
                }
                guard pos == data.count else { throw malformed("\(data.count - pos) bytes after STOP", at: pos) }
                var used = Set<Int>()
                return try convert(stack[0], depth: 0, used: &used)
            case PickleOpcode.mark:
                metastack.append(stack); stack = []
            case PickleOpcode.none: stack.append(.none)
            case PickleOpcode.newTrue: stack.append(.bool(true))
            case PickleOpcode.newFalse: stack.append(.bool(false))
            case PickleOpcode.binInt1: stack.append(.int(Int64(try uint(1))))
            case PickleOpcode.binInt2: stack.append(.int(Int64(try uint(2))))
            case PickleOpcode.binInt: stack.append(.int(Int64(Int32(bitPattern: UInt32(try uint(4))))))
            case PickleOpcode.long1:
                let n = Int(try byte())
                guard n <= 8 else { throw unsupported("an integer of \(n) bytes (more than 64 bits)", at: at) }
                let raw = try take(n)
                var v: UInt64 = 0
                for (i, b) in raw.enumerated() { v |= UInt64(b) << UInt64(8 * i) }
                if n > 0 && n < 8 && raw.last! & 0x80 != 0 { v |= ~0 << UInt64(8 * n) }   // sign-extend
                stack.append(.int(Int64(bitPattern: v)))
            case PickleOpcode.binFloat:
                var v: UInt64 = 0
                for b in try take(8) { v = v << 8 | UInt64(b) }
                stack.append(.float(Double(bitPattern: v)))
            case PickleOpcode.binUnicode:
                let n = try uint(4)
                guard n <= UInt64(data.count - pos) else { throw malformed("string of \(n) bytes runs past the end", at: at) }
                let raw = try take(Int(n))
                let s = String(decoding: raw, as: UTF8.self)
                guard s.utf8.elementsEqual(raw) else { throw malformed("string is not valid UTF-8", at: at) }
                stack.append(.string(s))
            case PickleOpcode.emptyTuple: stack.append(.tuple([], depth: 1))
            case PickleOpcode.tuple1: try makeTuple(count: 1, at: at)
            case PickleOpcode.tuple2: try makeTuple(count: 2, at: at)
            case PickleOpcode.tuple3: try makeTuple(count: 3, at: at)
            case PickleOpcode.tuple:
                let items = try popMark()
                stack.append(try tuple(items, at: at))
            case PickleOpcode.emptyDict:
                dicts.append(Dict(ordered: false)); stack.append(.dict(dicts.count - 1))
            case PickleOpcode.setItem:
                let v = try pop(), k = try pop()
                try setItems([k, v], at: at)
            case PickleOpcode.setItems:
                try setItems(try popMark(), at: at)
            case PickleOpcode.binPut, PickleOpcode.longBinPut:
                let i = try memoIndex(op == PickleOpcode.longBinPut)
                guard let top = stack.last else { throw malformed("memoize with an empty stack", at: at) }
                memo[i] = top
            case PickleOpcode.binGet, PickleOpcode.longBinGet:
                let i = try memoIndex(op == PickleOpcode.longBinGet)
                guard let x = memo[i] else { throw malformed("memo index \(i) was never stored", at: at) }
                stack.append(x)
            case PickleOpcode.global:
                let module = try line(), name = try line()
                stack.append(.global(try resolveGlobal(module, name, at: at)))
            case PickleOpcode.binPersId:
                stack.append(.storage(try persistentLoad(try pop(), at: at)))
            case PickleOpcode.reduce:
                let args = try pop()
                let f = try pop()
                stack.append(try call(f, args, at: at))
            default:
                throw unsupported("opcode 0x\(String(op, radix: 16)) is outside the supported protocol-2 subset", at: at)
            }
        }
    }

    private mutating func makeTuple(count: Int, at: Int) throws {
        guard stack.count >= count else { throw malformed("stack underflow building a \(count)-tuple", at: at) }
        let items = Array(stack.suffix(count))
        stack.removeLast(count)
        stack.append(try tuple(items, at: at))
    }

    private func tuple(_ items: [Item], at: Int) throws -> Item {
        var depth = 1
        for case let .tuple(_, d) in items { depth = max(depth, d + 1) }
        guard depth <= 16 else { throw unsupported("tuples nested deeper than 16", at: at) }
        return .tuple(items, depth: depth)
    }

    private mutating func setItems(_ items: [Item], at: Int) throws {
        guard items.count % 2 == 0 else { throw malformed("SETITEMS with an odd number of items", at: at) }
        guard case let .dict(d)? = stack.last else { throw malformed("SETITEM(S) target is not a dict", at: at) }
        for i in stride(from: 0, to: items.count, by: 2) {
            guard case let .string(k) = items[i] else { throw unsupported("a dict key that is not a string", at: at) }
            if let p = dicts[d].position[k] {
                dicts[d].entries[p].value = items[i + 1]       // Python: overwrite, keep the first position
            } else {
                dicts[d].position[k] = dicts[d].entries.count
                dicts[d].entries.append((k, items[i + 1]))
            }
        }
    }

    private func resolveGlobal(_ module: String, _ name: String, at: Int) throws -> Global {
        switch (module, name) {
        case ("collections", "OrderedDict"): return .orderedDict
        case ("torch._utils", "_rebuild_tensor_v2"): return .rebuildTensorV2
        case ("torch", _):
            if let d = TorchDType(storageTypeName: name) { return .storageType(d) }
        default: break
        }
        throw unsupported("global \(module).\(name) is not one of collections.OrderedDict, torch._utils._rebuild_tensor_v2, torch.<T>Storage", at: at)
    }

    /// `('storage', torch.<T>Storage, key, location, numel)` → the storage's bytes (torch/serialization.py,
    /// `_load.persistent_load`). The location (e.g. 'cpu', 'cuda:0') is ignored: everything loads to memory.
    private mutating func persistentLoad(_ pid: Item, at: Int) throws -> Storage {
        guard case let .tuple(t, _) = pid, t.count == 5, case .string("storage") = t[0],
              case let .global(.storageType(dtype)) = t[1], case let .string(key) = t[2],
              case .string = t[3], case let .int(numel64) = t[4] else {
            throw unsupported("persistent id is not ('storage', torch.<T>Storage, key, location, numel)", at: at)
        }
        guard numel64 >= 0, numel64 <= Int64(Int.max / dtype.elementSize) else {
            throw TorchCheckpointError.malformedTensor("storage \(key) claims \(numel64) elements")
        }
        let numel = Int(numel64)
        let bytes = try loadStorage(key, dtype, numel)
        guard bytes.count == numel * dtype.elementSize else {
            throw TorchCheckpointError.malformedTensor("storage \(key) has \(bytes.count) bytes, expected \(numel) × \(dtype.elementSize)")
        }
        return Storage(key: key, dtype: dtype, numel: numel, bytes: bytes)
    }

    private mutating func call(_ f: Item, _ args: Item, at: Int) throws -> Item {
        guard case let .tuple(a, _) = args else { throw malformed("REDUCE arguments are not a tuple", at: at) }
        switch f {
        case .global(.orderedDict):
            guard a.isEmpty else { throw unsupported("OrderedDict(...) with arguments", at: at) }
            dicts.append(Dict(ordered: true))
            return .dict(dicts.count - 1)
        case .global(.rebuildTensorV2):
            return .tensor(try rebuildTensor(a, at: at))
        default:
            throw unsupported("REDUCE of something other than OrderedDict or _rebuild_tensor_v2", at: at)
        }
    }

    private func intTuple(_ x: Item) -> [Int]? {
        guard case let .tuple(t, _) = x else { return nil }
        var out: [Int] = []
        for case let .int(v) in t where v >= 0 { out.append(Int(v)) }
        return out.count == t.count ? out : nil
    }

    /// `_rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks)`: the
    /// elements at storage[offset + Σ index_i · stride_i], gathered into C order.
    private mutating func rebuildTensor(_ a: [Item], at: Int) throws -> TorchTensor {
        var hasNoMetadata = a.count == 6
        if a.count == 7, case .none = a[6] { hasNoMetadata = true }
        guard hasNoMetadata, case let .storage(st) = a[0], case let .int(offset64) = a[1],
              let size = intTuple(a[2]), let stride = intTuple(a[3]), size.count == stride.count,
              case .bool = a[4], case let .dict(hooks) = a[5], dicts[hooks].entries.isEmpty else {
            throw unsupported("_rebuild_tensor_v2 arguments are not (storage, offset, size, stride, requires_grad, OrderedDict())", at: at)
        }
        guard let numel = TorchTensor.elementCount(size), offset64 >= 0 else {
            throw TorchCheckpointError.malformedTensor("size \(size) or offset \(offset64) is out of range")
        }
        let offset = Int(offset64)
        let e = st.dtype.elementSize
        guard numel <= Int.max / e else { throw TorchCheckpointError.malformedTensor("size \(size) is too large") }

        // Reach: the largest element index used, offset + Σ (size_i − 1)·stride_i, must lie in the storage.
        var steps = stride
        var last = offset
        if numel > 0 {
            for d in 0..<size.count {
                if size[d] <= 1 { steps[d] = 0; continue }
                let (m, o1) = (size[d] - 1).multipliedReportingOverflow(by: stride[d])
                let (s, o2) = last.addingReportingOverflow(m)
                guard !o1, !o2 else { throw TorchCheckpointError.malformedTensor("size \(size) with stride \(stride) overflows") }
                last = s
            }
        }
        guard (numel == 0 && offset <= st.numel) || last < st.numel else {
            throw TorchCheckpointError.malformedTensor(
                "size \(size), stride \(stride), offset \(offset) reach element \(last) of storage \(st.key) with \(st.numel) elements")
        }
        let isContiguous = zip(zip(size, stride), TorchTensor.contiguousStrides(size)).allSatisfy { $0.0 <= 1 || $0.1 == $1 }
        if isContiguous && offset == 0 && numel == st.numel {
            return try TorchTensor(dtype: st.dtype, shape: size, bytes: st.bytes)       // shares the storage's array
        }
        let nbytes = numel * e
        guard nbytes <= copyBudget else {
            throw TorchCheckpointError.malformedTensor("views of shared storages would copy more than \(copyBudget) more bytes")
        }
        copyBudget -= nbytes
        if isContiguous {
            return try TorchTensor(dtype: st.dtype, shape: size, bytes: Array(st.bytes[(offset * e)..<(offset * e + nbytes)]))
        }
        var out = [UInt8](repeating: 0, count: nbytes)
        var index = [Int](repeating: 0, count: size.count)
        var src = offset
        st.bytes.withUnsafeBytes { from in
            out.withUnsafeMutableBytes { to in
                for k in 0..<numel {
                    (to.baseAddress! + k * e).copyMemory(from: from.baseAddress! + src * e, byteCount: e)
                    var d = size.count - 1
                    while d >= 0 {
                        index[d] += 1
                        src += steps[d]
                        if index[d] < size[d] { break }
                        src -= steps[d] * size[d]
                        index[d] = 0
                        d -= 1
                    }
                }
            }
        }
        return try TorchTensor(dtype: st.dtype, shape: size, bytes: out)
    }

    // MARK: - Result

    private func convert(_ x: Item, depth: Int, used: inout Set<Int>) throws -> PickleValue {
        guard depth < PickleReader.maxDepth else { throw unsupported("containers nested deeper than \(PickleReader.maxDepth)", at: data.count) }
        switch x {
        case .none: return .none
        case let .bool(b): return .bool(b)
        case let .int(i): return .int(i)
        case let .float(f): return .float(f)
        case let .string(s): return .string(s)
        case let .tensor(t): return .tensor(t)
        case let .dict(d):
            guard used.insert(d).inserted else {
                throw unsupported("the same dict object appears twice in the result (shared or recursive)", at: data.count)
            }
            var entries: [(key: String, value: PickleValue)] = []
            entries.reserveCapacity(dicts[d].entries.count)
            for (k, v) in dicts[d].entries { entries.append((k, try convert(v, depth: depth + 1, used: &used))) }
            return dicts[d].ordered ? .orderedDict(entries) : .dict(entries)
        case .tuple: throw unsupported("a tuple as a value", at: data.count)
        case .global: throw unsupported("a class or function as a value", at: data.count)
        case .storage: throw unsupported("a bare storage as a value", at: data.count)
        }
    }
}
