// Wall time and peak memory of stages, measured the same way for every unit.
import Foundation
import VigilResults
#if canImport(Glibc)
import Glibc
#endif

/// Peak resident memory of this process.
public enum ResourceUsage {
    /// Peak RSS in bytes since the process started or since the last `resetPeak()` (Linux `VmHWM`; elsewhere the
    /// `getrusage` maximum).
    public static func peakRSSBytes() -> Int {
        #if os(Linux)
        if let s = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) {
            for line in s.split(separator: "\n") where line.hasPrefix("VmHWM:") {
                let kb = line.split(separator: " ").compactMap { Int($0) }.first ?? 0
                return kb * 1024
            }
        }
        #endif
        var u = rusage()
        getrusage(0 /* RUSAGE_SELF */, &u)
        return Int(u.ru_maxrss) * 1024
    }

    /// Resets the peak to the current RSS so the next stage's peak is its own (Linux: `5` → /proc/self/clear_refs;
    /// a no-op where unsupported, when the peak stays cumulative).
    public static func resetPeak() {
        #if os(Linux)
        if let h = FileHandle(forWritingAtPath: "/proc/self/clear_refs") {
            h.write(Data("5".utf8))
            try? h.close()
        }
        #endif
    }
}

/// Times the stages of a unit and reports them to a sink.
public final class StageClock {
    public private(set) var timings: [StageTiming] = []
    let unit: String
    let sink: UnitEventSink

    public init(unit: String, sink: UnitEventSink) { self.unit = unit; self.sink = sink }

    /// Runs `body` as stage `name`: announces it, measures wall time and peak RSS, records the timing.
    public func stage<R>(_ name: String, _ body: () throws -> R) rethrows -> R {
        sink.send(UnitEvent(unit: unit, kind: .stageStarted, stage: name))
        ResourceUsage.resetPeak()
        let start = DispatchTime.now().uptimeNanoseconds
        let r = try body()
        let t = StageTiming(stage: name, seconds: Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9,
                            peakRSSBytes: ResourceUsage.peakRSSBytes())
        timings.append(t)
        sink.send(UnitEvent(unit: unit, kind: .stageFinished, stage: name, seconds: t.seconds, peakRSSBytes: t.peakRSSBytes))
        return r
    }
}
