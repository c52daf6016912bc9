/// Writes `data.pkl`: a protocol-2 pickle of a `PickleValue`, byte for byte what CPython's pickler
/// (`Lib/pickle.py`, `_Pickler`) emits for the same Python object under `torch.save`
/// (`torch/serialization.py`, `_save`).
///
/// Opcode sequence for `{"model_state_dict": OrderedDict([(k, tensor), …]), "epoch": 5}` (memo indices
/// grow by one per `q`; `h i` re-uses a memoized object; `q`/`h` become `r`/`j` with a u32 index ≥ 256):
///
///     \x80 2                          PROTO 2
///     }  q0                           EMPTY_DICT, memoized
///     (                               MARK                      (batched SETITEMS: > 1 item)
///       X'model_state_dict' q1
///       c'collections\nOrderedDict\n' q2  ) R q3               OrderedDict()  (collections.OrderedDict.__reduce__)
///       (  [ per tensor: X'<key>' q…  <tensor> ]  u            SETITEMS (one item: k v s = SETITEM)
///       X'epoch' q…  K 5
///     u                               SETITEMS
///     .                               STOP
///
/// A tensor is `torch._utils._rebuild_tensor_v2(storage, 0, size, stride, False, OrderedDict())`
/// (`torch/_tensor.py`, `Tensor._reduce_ex_internal`; `torch/_utils.py`, `_rebuild_tensor_v2`):
///
///     c'torch._utils\n_rebuild_tensor_v2\n' q…   (h … after the first tensor)
///     (                                          MARK args
///       ( X'storage' q… c'torch\nFloatStorage\n' q… X'<storage key>' q… X'cpu' q… K numel  t q…
///       Q                                        BINPERSID → persistent id ('storage', type, key, 'cpu', numel)
///       K 0                                      storage_offset
///       <size tuple> <stride tuple>              ) | … \x85 | … \x86 | … \x87 | ( … t ; then q… if non-empty
///       \x89                                     requires_grad = False
///       h<OrderedDict> ) R q…                    backward_hooks = OrderedDict()
///     t q…  R q…                                 build the tensor, memoize it
///
/// `'storage'`, `'cpu'` and each global are memoized once and re-used with `h` (CPython memoizes by object
/// identity, and these are the same objects for every tensor); other strings get a fresh `q` each time.
/// The storage key is the decimal index of the tensor in pickling order ("0", "1", …), naming the zip
/// record `data/<key>`; each tensor owns one storage holding exactly its elements (numel = ∏ size).
/// Integers use the smallest of `K` (0…255), `M` (256…65535), `J` (int32), `\x8a` (LONG1), as
/// `_Pickler.save_long` does; floats use `G` (big endian).
struct PickleWriter {
    private var out = ByteWriter()
    private var memoCount = 0
    private var memo: [String: Int] = [:]   // globals ("module\nname") and the shared literals 'storage', 'cpu'
    private(set) var storages: [TorchTensor] = []

    /// The pickle bytes of `value` and the tensors in storage-key order (`storages[i]` is `data/<i>`).
    static func pickle(_ value: PickleValue) throws -> (bytes: [UInt8], storages: [TorchTensor]) {
        var w = PickleWriter()
        w.out.u8(PickleOpcode.proto); w.out.u8(2)
        try w.save(value)
        w.out.u8(PickleOpcode.stop)
        return (w.out.bytes, w.storages)
    }

    private mutating func put() throws {
        let i = memoCount
        guard i <= Int(UInt32.max) else { throw TorchCheckpointError.archiveTooLarge("more than 2^32 pickled objects") }
        memoCount += 1
        if i < 256 { out.u8(PickleOpcode.binPut); out.u8(UInt8(i)) } else { out.u8(PickleOpcode.longBinPut); out.u32(UInt32(i)) }
    }

    private mutating func get(_ i: Int) {
        if i < 256 { out.u8(PickleOpcode.binGet); out.u8(UInt8(i)) } else { out.u8(PickleOpcode.longBinGet); out.u32(UInt32(i)) }
    }

    private mutating func save(_ v: PickleValue) throws {
        switch v {
        case .none: out.u8(PickleOpcode.none)
        case let .bool(b): out.u8(b ? PickleOpcode.newTrue : PickleOpcode.newFalse)
        case let .int(i): saveInt(i)
        case let .float(d): out.u8(PickleOpcode.binFloat); out.append(littleEndianBytes([d.bitPattern]).reversed())
        case let .string(s): try saveString(s)
        case let .dict(entries):
            out.u8(PickleOpcode.emptyDict); try put()
            try saveItems(entries)
        case let .orderedDict(entries):
            try newOrderedDict()
            try saveItems(entries)
        case let .tensor(t): try saveTensor(t)
        }
    }

    /// `_Pickler.save_long`: K for 0…0xff, M for 0…0xffff, J for the int32 range, else LONG1 with the
    /// minimal two's-complement little-endian encoding (`pickle.encode_long`).
    private mutating func saveInt(_ i: Int64) {
        if i >= 0 && i <= 0xFF { out.u8(PickleOpcode.binInt1); out.u8(UInt8(i)); return }
        if i >= 0 && i <= 0xFFFF { out.u8(PickleOpcode.binInt2); out.u16(UInt16(i)); return }
        if i >= Int64(Int32.min) && i <= Int64(Int32.max) { out.u8(PickleOpcode.binInt); out.u32(UInt32(bitPattern: Int32(i))); return }
        let enc = encodeLong(i)
        out.u8(PickleOpcode.long1); out.u8(UInt8(enc.count)); out.append(enc)
    }

    private mutating func saveString(_ s: String) throws {
        let utf8 = Array(s.utf8)
        guard utf8.count < Int(UInt32.max) else { throw TorchCheckpointError.archiveTooLarge("a string of \(utf8.count) bytes") }
        out.u8(PickleOpcode.binUnicode); out.u32(UInt32(utf8.count)); out.append(utf8)
        try put()
    }

    /// A string CPython shares between tensors ('storage', 'cpu'): written and memoized once, then `h`.
    private mutating func saveSharedLiteral(_ s: String) throws {
        if let i = memo["'" + s] { get(i); return }
        memo["'" + s] = memoCount
        try saveString(s)
    }

    private mutating func saveGlobal(_ module: String, _ name: String) throws {
        let k = module + "\n" + name
        if let i = memo[k] { get(i); return }
        out.u8(PickleOpcode.global); out.ascii(module); out.u8(0x0A); out.ascii(name); out.u8(0x0A)
        memo[k] = memoCount
        try put()
    }

    /// `OrderedDict()` via `collections.OrderedDict.__reduce__`: the class, an empty args tuple, REDUCE.
    private mutating func newOrderedDict() throws {
        try saveGlobal("collections", "OrderedDict")
        out.u8(PickleOpcode.emptyTuple); out.u8(PickleOpcode.reduce); try put()
    }

    /// `_Pickler._batch_setitems`: batches of 1000; a batch of > 1 is `( k v … u`, of 1 is `k v s`.
    private mutating func saveItems(_ entries: [(key: String, value: PickleValue)]) throws {
        var start = 0
        while start < entries.count {
            let batch = entries[start..<min(start + 1000, entries.count)]
            if batch.count > 1 {
                out.u8(PickleOpcode.mark)
                for e in batch { try saveString(e.key); try save(e.value) }
                out.u8(PickleOpcode.setItems)
            } else {
                for e in batch { try saveString(e.key); try save(e.value) }
                out.u8(PickleOpcode.setItem)
            }
            start += batch.count
        }
    }

    /// A tuple of ints as `_Pickler.save_tuple` writes it: `)` when empty (not memoized), the items then
    /// `\x85`/`\x86`/`\x87` for 1–3 items, `(` items `t` otherwise; non-empty tuples are memoized.
    private mutating func saveIntTuple(_ xs: [Int]) throws {
        if xs.isEmpty { out.u8(PickleOpcode.emptyTuple); return }
        if xs.count > 3 { out.u8(PickleOpcode.mark) }
        for x in xs { saveInt(Int64(x)) }
        switch xs.count {
        case 1: out.u8(PickleOpcode.tuple1)
        case 2: out.u8(PickleOpcode.tuple2)
        case 3: out.u8(PickleOpcode.tuple3)
        default: out.u8(PickleOpcode.tuple)
        }
        try put()
    }

    private mutating func saveTensor(_ t: TorchTensor) throws {
        let key = String(storages.count)
        storages.append(t)
        try saveGlobal("torch._utils", "_rebuild_tensor_v2")
        out.u8(PickleOpcode.mark)
        // persistent id ('storage', torch.<T>Storage, key, 'cpu', numel), then BINPERSID
        out.u8(PickleOpcode.mark)
        try saveSharedLiteral("storage")
        try saveGlobal("torch", t.dtype.storageTypeName)
        try saveString(key)
        try saveSharedLiteral("cpu")
        saveInt(Int64(t.elementCount))
        out.u8(PickleOpcode.tuple); try put()
        out.u8(PickleOpcode.binPersId)
        saveInt(0)
        try saveIntTuple(t.shape)
        try saveIntTuple(t.strides)
        out.u8(PickleOpcode.newFalse)
        try newOrderedDict()
        out.u8(PickleOpcode.tuple); try put()
        out.u8(PickleOpcode.reduce); try put()
    }
}

/// `pickle.encode_long`: the shortest two's-complement little-endian bytes of `x` (empty for 0).
func encodeLong(_ x: Int64) -> [UInt8] {
    if x == 0 { return [] }
    let magnitude = x.magnitude
    let bitLength = UInt64.bitWidth - magnitude.leadingZeroBitCount
    let n = (bitLength >> 3) + 1                            // Python: (x.bit_length() >> 3) + 1, ≤ 9
    var full = littleEndianBytes([UInt64(bitPattern: x)])   // 8 bytes, then sign extension
    full.append(x < 0 ? 0xFF : 0x00)
    var r = Array(full[0..<n])
    if x < 0 && n > 1 && r[n - 1] == 0xFF && (r[n - 2] & 0x80) != 0 { r.removeLast() }
    return r
}
