// `loss.csv` of a machine directory: the training loss of every batch, written by `vigil run` and read by reports.

/// Per-batch training losses: `model,epoch,batch,batch_loss,epoch_mean_loss,learning_rate` (epoch and batch 1-based;
/// epoch_mean_loss is the running mean over the epoch's batches so far, so at an epoch's last batch it is the epoch loss).
public struct LossTable: Equatable, Sendable {
    public struct Row: Equatable, Sendable {
        public var model: String
        public var epoch: Int, batch: Int
        public var batchLoss: Double, epochMean: Double, learningRate: Double
        public init(model: String, epoch: Int, batch: Int, batchLoss: Double, epochMean: Double, learningRate: Double) {
            self.model = model; self.epoch = epoch; self.batch = batch; self.batchLoss = batchLoss; self.epochMean = epochMean
            self.learningRate = learningRate
        }
    }

    /// The header line.
    public static let header = "model,epoch,batch,batch_loss,epoch_mean_loss,learning_rate"
    public var rows: [Row]

    public init(rows: [Row] = []) { self.rows = rows }

    /// The file's text (numbers in shortest round-trip form).
    public var csv: String {
        ([Self.header] + rows.map { "\($0.model),\($0.epoch),\($0.batch),\($0.batchLoss),\($0.epochMean),\($0.learningRate)" })
            .joined(separator: "\n") + "\n"
    }

    /// Parses the file; nil when the header is not the expected one or any line does not parse (a damaged file is
    /// reported by its reader, never half used).
    public static func parse(_ text: String) -> LossTable? {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: true)
        guard let first = lines.first, first.trimmingCharacters(in: .whitespaces) == header else { return nil }
        lines.removeFirst()
        var out = LossTable()
        for l in lines {
            let f = l.split(separator: ",", omittingEmptySubsequences: false)
            guard f.count == 6, !f[0].isEmpty, let e = Int(f[1]), let b = Int(f[2]), let bl = Double(f[3]), let em = Double(f[4]),
                  let lr = Double(f[5]), e >= 1, b >= 1 else { return nil }
            out.rows.append(Row(model: String(f[0]), epoch: e, batch: b, batchLoss: bl, epochMean: em, learningRate: lr))
        }
        return out
    }
}
