import Foundation
@testable import VigilPyTorch
import XCTest

/// CRC-32 computed bit by bit from the definition (reflected polynomial 0xEDB88320, init and final
/// XOR 0xFFFFFFFF) — independent of the zlib call the module uses.
func referenceCRC32<C: Collection>(_ bytes: C) -> UInt32 where C.Element == UInt8 {
    var crc: UInt32 = 0xFFFF_FFFF
    for b in bytes {
        crc ^= UInt32(b)
        for _ in 0..<8 { crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
    }
    return ~crc
}

/// SplitMix64 (Steele et al. 2014): a seeded generator so fuzz runs are reproducible.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// The value-description JSON of scripts/check_torch_checkpoint.py and scripts/make_torch_save_goldens.py:
/// {"type": "dict"|"OrderedDict", "entries": [[k, v], …]}, {"type": "int", "value"}, {"type": "float",
/// "bits": 16 hex digits}, {"type": "str"|"bool", "value"}, {"type": "none"},
/// {"type": "tensor", "dtype", "shape", "data_hex"}.
enum ValueDescription {
    static func describe(_ v: PickleValue) -> Any {
        switch v {
        case .none: return ["type": "none"]
        case let .bool(b): return ["type": "bool", "value": b]
        case let .int(i): return ["type": "int", "value": NSNumber(value: i)]
        case let .float(d):
            let h = String(d.bitPattern, radix: 16)
            return ["type": "float", "bits": String(repeating: "0", count: 16 - h.count) + h]
        case let .string(s): return ["type": "str", "value": s]
        case let .dict(e): return ["type": "dict", "entries": e.map { [$0.key, describe($0.value)] }]
        case let .orderedDict(e): return ["type": "OrderedDict", "entries": e.map { [$0.key, describe($0.value)] }]
        case let .tensor(t):
            return ["type": "tensor", "dtype": t.dtype.rawValue, "shape": t.shape,
                    "data_hex": hexString(t.bytes)]
        }
    }

    static func hexString(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for b in bytes { out.append(digits[Int(b >> 4)]); out.append(digits[Int(b & 15)]) }
        return String(decoding: out, as: UTF8.self)
    }

    static func json(_ v: PickleValue) throws -> Data {
        try JSONSerialization.data(withJSONObject: describe(v), options: [.prettyPrinted, .sortedKeys])
    }

    struct Bad: Error, CustomStringConvertible { let description: String }

    static func parse(_ any: Any) throws -> PickleValue {
        guard let o = any as? [String: Any], let type = o["type"] as? String else { throw Bad(description: "not a description: \(any)") }
        switch type {
        case "none": return .none
        case "bool": return .bool(o["value"] as! Bool)
        case "int": return .int((o["value"] as! NSNumber).int64Value)
        case "float": return .float(Double(bitPattern: UInt64(o["bits"] as! String, radix: 16)!))
        case "str": return .string(o["value"] as! String)
        case "dict", "OrderedDict":
            let entries = try (o["entries"] as! [[Any]]).map { (key: $0[0] as! String, value: try parse($0[1])) }
            return type == "dict" ? .dict(entries) : .orderedDict(entries)
        case "tensor":
            let hex = Array((o["data_hex"] as! String).utf8)
            var bytes = [UInt8]()
            bytes.reserveCapacity(hex.count / 2)
            var i = 0
            while i + 1 < hex.count { bytes.append(UInt8(String(decoding: hex[i...(i + 1)], as: UTF8.self), radix: 16)!); i += 2 }
            let dtype = TorchDType(rawValue: o["dtype"] as! String)!
            return .tensor(try TorchTensor(dtype: dtype, shape: o["shape"] as! [Int], bytes: bytes))
        default: throw Bad(description: "unknown type \(type)")
        }
    }
}

/// A golden file from Tests/VigilPyTorchTests/Goldens (made by scripts/make_torch_save_goldens.py).
func goldenURL(_ name: String, _ ext: String) throws -> URL {
    guard let url = Bundle.module.url(forResource: name, withExtension: ext, subdirectory: "Goldens") else {
        throw ValueDescription.Bad(description: "golden \(name).\(ext) is not in the test bundle")
    }
    return url
}

func goldenBytes(_ name: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: goldenURL(name, "pt"))) }

func goldenValue(_ name: String) throws -> PickleValue {
    try ValueDescription.parse(try JSONSerialization.jsonObject(with: Data(contentsOf: goldenURL(name, "json"))))
}

/// A small checkpoint with every scalar kind, nested containers and several dtypes.
func sampleCheckpoint() throws -> PickleValue {
    .dict([
        ("model_state_dict", .orderedDict([
            ("pos_encoder.pe", .tensor(try TorchTensor(float32: (0..<12).map { Float($0) * 0.5 - 2 }, shape: [3, 1, 4]))),
            ("fcn.0.weight", .tensor(try TorchTensor(float64: [1.5, -0.0, .infinity, -3e-300, 7, 8], shape: [2, 3]))),
            ("steps", .tensor(try TorchTensor(int64: [0, -1, Int64.max], shape: [3]))),
        ])),
        ("epoch", .int(5)),
        ("lr", .float(1e-3)),
        ("note", .string("TranAD ✓")),
        ("flags", .dict([("best", .bool(true)), ("none", .none)])),
    ])
}
