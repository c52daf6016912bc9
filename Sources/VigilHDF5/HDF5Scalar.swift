// The numeric element types VigilHDF5 reads and writes, and their native HDF5 types.
import CHDF5

// MARK: - Scalars

/// The numeric element kinds VigilHDF5 stores; each maps to one native HDF5 type.
public enum HDF5ScalarKind: String, Sendable {
    case float32, float64, int32, int64, uint8

    /// The HDF5 native memory type id for this kind (valid after library initialisation).
    var nativeType: hid_t {
        _ = hdf5Ready
        switch self {
        case .float32: return H5T_NATIVE_FLOAT_g
        case .float64: return H5T_NATIVE_DOUBLE_g
        case .int32: return H5T_NATIVE_INT32_g
        case .int64: return H5T_NATIVE_INT64_g
        case .uint8: return H5T_NATIVE_UINT8_g
        }
    }

    /// Bytes per element.
    public var size: Int {
        switch self {
        case .float32, .int32: return 4
        case .float64, .int64: return 8
        case .uint8: return 1
        }
    }
}

/// An element type that can be written to / read from an HDF5 dataset (Float, Double, Int32, Int64, UInt8).
public protocol HDF5Scalar {
    /// The native HDF5 type this Swift type maps to (H5T_NATIVE_FLOAT, …).
    static var hdf5Kind: HDF5ScalarKind { get }
    /// The zero value, used to size read buffers.
    static var hdf5Zero: Self { get }
}

extension Float: HDF5Scalar {
    public static var hdf5Kind: HDF5ScalarKind { .float32 }
    public static var hdf5Zero: Float { 0 }
}
extension Double: HDF5Scalar {
    public static var hdf5Kind: HDF5ScalarKind { .float64 }
    public static var hdf5Zero: Double { 0 }
}
extension Int32: HDF5Scalar {
    public static var hdf5Kind: HDF5ScalarKind { .int32 }
    public static var hdf5Zero: Int32 { 0 }
}
extension Int64: HDF5Scalar {
    public static var hdf5Kind: HDF5ScalarKind { .int64 }
    public static var hdf5Zero: Int64 { 0 }
}
extension UInt8: HDF5Scalar {
    public static var hdf5Kind: HDF5ScalarKind { .uint8 }
    public static var hdf5Zero: UInt8 { 0 }
}

