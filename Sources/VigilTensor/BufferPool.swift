#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Caching allocator for tensor storage.
///
/// Training repeats the same shapes every step, and glibc returns large blocks (≥ 128 KiB) to the kernel on
/// free, so each op would pay mmap + page faults + zeroing for its output. Freed buffers of ≥ 16 KiB are kept
/// in per-size-class free lists (classes: 4 steps per power of two) up to `capacityBytes` in total and
/// handed out again; smaller ones go straight to malloc. Buffers are 64-byte aligned. Thread-safe (mutex).
public final class BufferPool: @unchecked Sendable {
    /// The process-wide pool used by every `Tensor`.
    public static let shared = BufferPool()

    /// Upper bound on the bytes kept in the free lists (default 512 MiB).
    public var capacityBytes: Int {
        get { lock(); defer { unlock() }; return maxCached }
        set { lock(); maxCached = newValue; unlock(); trim() }
    }
    /// Bytes currently cached (free, reusable).
    public var cachedBytes: Int { lock(); defer { unlock() }; return cached }

    private var mutex = pthread_mutex_t()
    private var free: [Int: [UnsafeMutableRawPointer]] = [:]
    private var cached = 0
    private var maxCached = 512 << 20
    static let minPooled = 16 << 10

    private init() { pthread_mutex_init(&mutex, nil) }

    @inline(__always) private func lock() { pthread_mutex_lock(&mutex) }
    @inline(__always) private func unlock() { pthread_mutex_unlock(&mutex) }

    /// Size class (bytes actually allocated) for a request of `bytes`.
    static func sizeClass(_ bytes: Int) -> Int {
        if bytes < minPooled { return max(bytes, 64) }
        let top = Int.bitWidth - 1 - bytes.leadingZeroBitCount      // floor(log2)
        let step = 1 << (top - 2)                                     // quarter of the power of two
        return (bytes + step - 1) / step * step
    }

    /// A 64-byte aligned buffer of at least `bytes` bytes.
    func allocate(bytes: Int) -> UnsafeMutableRawPointer {
        let cls = BufferPool.sizeClass(bytes)
        if cls >= BufferPool.minPooled {
            lock()
            if var list = free[cls], let p = list.popLast() {
                free[cls] = list
                cached -= cls
                unlock()
                return p
            }
            unlock()
        }
        var p: UnsafeMutableRawPointer? = nil
        let rc = posix_memalign(&p, 64, cls)
        guard rc == 0, let ptr = p else { fatalError("Tensor: out of memory allocating \(cls) bytes") }
        return ptr
    }

    /// Returns a buffer from `allocate(bytes:)` (same `bytes`).
    func release(_ p: UnsafeMutableRawPointer, bytes: Int) {
        let cls = BufferPool.sizeClass(bytes)
        if cls >= BufferPool.minPooled {
            lock()
            if cached + cls <= maxCached {
                free[cls, default: []].append(p)
                cached += cls
                unlock()
                return
            }
            unlock()
        }
        sysFree(p)
    }

    /// Frees every cached buffer (e.g. between experiments).
    public func trim() {
        lock()
        let lists = free
        free = [:]
        cached = 0
        unlock()
        for (_, l) in lists { for p in l { sysFree(p) } }
    }
}

@inline(__always) private func sysFree(_ p: UnsafeMutableRawPointer) {
#if canImport(Glibc)
    Glibc.free(p)
#else
    Darwin.free(p)
#endif
}
