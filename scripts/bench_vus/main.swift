// Times VigilMetrics.VUS.compute on the series in a JSON file written by scripts/bench_vus_tsbad.py.
// Built and run by scripts/bench-vus (release build of VigilThresholds + VigilMetrics only).
//   bench-vus DATA.json REPEAT WINDOW...   → one JSON line per (series, window): best/median seconds and the volumes.
import Foundation
import VigilMetrics

struct Series: Decodable { var name: String; var labels: String; var scores: [Double] }
struct DataFile: Decodable { var cases: [Series] }

let args = CommandLine.arguments
guard args.count >= 4, let repeats = Int(args[2]), repeats > 0 else {
    FileHandle.standardError.write(Data("usage: bench-vus DATA.json REPEAT WINDOW...\n".utf8))
    exit(2)
}
let windows = args[3...].compactMap { Int($0) }
let data = try JSONDecoder().decode(DataFile.self, from: Data(contentsOf: URL(fileURLWithPath: args[1])))
let clock = ContinuousClock()
for s in data.cases {
    let labels = s.labels.map { $0 == "1" }
    for w in windows {
        var times: [Double] = []
        var last: VUSResult?
        for _ in 0..<repeats {
            let d = try clock.measure { last = try VUS.compute(scores: s.scores, labels: labels, window: w) }
            times.append(Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18)
        }
        times.sort()
        guard let r = last else { print("{\"name\":\"\(s.name)\",\"window\":\(w),\"error\":\"one class\"}"); continue }
        print("{\"name\":\"\(s.name)\",\"n\":\(labels.count),\"window\":\(w),\"best_s\":\(times[0]),\"median_s\":\(times[times.count / 2]),"
              + "\"vus_roc\":\(r.roc),\"vus_pr\":\(r.pr)}")
    }
}
