/// The protocol-2 pickle opcodes this module writes and reads — a subset of CPython's `Lib/pickle.py`
/// (opcode table near the top; semantics in `pickletools.py`) and exactly the ones PyTorch's weights-only
/// unpickler accepts (`torch/_weights_only_unpickler.py`, `Unpickler.load`). No protocol ≥ 3 opcode
/// (`FRAME`, `SHORT_BINUNICODE`, `BINBYTES`, …) is used: `torch.save` pickles with protocol 2
/// (`torch/serialization.py`, `DEFAULT_PROTOCOL = 2`).
enum PickleOpcode {
    static let proto: UInt8 = 0x80          // \x80 n      protocol version
    static let stop: UInt8 = 0x2E           // .           end; pop the result
    static let mark: UInt8 = 0x28           // (           push a mark
    static let none: UInt8 = 0x4E           // N
    static let newTrue: UInt8 = 0x88        // \x88
    static let newFalse: UInt8 = 0x89       // \x89
    static let binInt1: UInt8 = 0x4B        // K u8
    static let binInt2: UInt8 = 0x4D        // M u16 LE
    static let binInt: UInt8 = 0x4A         // J i32 LE
    static let long1: UInt8 = 0x8A          // \x8a n, n bytes two's complement LE
    static let binFloat: UInt8 = 0x47       // G f64 big endian
    static let binUnicode: UInt8 = 0x58     // X u32 LE length, UTF-8
    static let emptyTuple: UInt8 = 0x29     // )
    static let tuple1: UInt8 = 0x85         // \x85
    static let tuple2: UInt8 = 0x86         // \x86
    static let tuple3: UInt8 = 0x87         // \x87
    static let tuple: UInt8 = 0x74          // t           tuple of everything since the mark
    static let emptyDict: UInt8 = 0x7D      // }
    static let setItem: UInt8 = 0x73        // s           d[k] = v
    static let setItems: UInt8 = 0x75       // u           d[k1] = v1 … since the mark
    static let global: UInt8 = 0x63         // c module\n name\n
    static let reduce: UInt8 = 0x52         // R           f(*args)
    static let binPersId: UInt8 = 0x51      // Q           persistent_load(pid)
    static let binPut: UInt8 = 0x71         // q u8        memo[i] = top
    static let longBinPut: UInt8 = 0x72     // r u32 LE
    static let binGet: UInt8 = 0x68         // h u8        push memo[i]
    static let longBinGet: UInt8 = 0x6A     // j u32 LE
}
