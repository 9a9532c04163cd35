/// The measurement and price reasons of a target whose task does not stream text, in the task's
/// terms: "p50 41 s per image over 12 samples", "0.12 s compute per audio s over 8 samples",
/// "p50 350 ms per request over 30 samples", "$0.004 per image".
enum TaskReasons {
    static func describe(_ snapshot: borrowing TargetSnapshot, price: Double?, policy: ScoringPolicy) -> [String] {
        let task = snapshot.descriptor.task
        let stats = snapshot.stats
        var reasons: [String] = []
        if task.latencyFigure == .computePerAudioSecond, let perAudioSecond = stats.computePerAudioSecond.p50 {
            reasons.append("\(TypicalRequest.fixed(perAudioSecond, digits: perAudioSecond >= 0.1 ? 2 : 3)) s compute per audio s over \(stats.computePerAudioSecond.count) samples")
        } else if let p50 = stats.total.p50 {
            reasons.append("p50 \(seconds(p50)) \(task == .textToImage ? "per image" : "per request") over \(stats.total.count) samples")
        } else if let estimate = stats.latencyEstimate {
            reasons.append("\(seconds(estimate)) \(task == .textToImage ? "per image" : "per request") (catalog)")
        }
        if let price, let configured = snapshot.descriptor.price {
            reasons.append(TypicalRequest.of(task, policy: policy).priceReason(cost: price, task: task, price: configured))
        }
        return reasons
    }

    /// "41 s", "2.1 s", "0.12 s", "350 ms".
    static func seconds(_ value: Double) -> String {
        if value >= 10 { return "\(Int(saturating: value)) s" }
        if value >= 1 { return "\(TypicalRequest.fixed(value, digits: 1)) s" }
        if value >= 0.1 || value == 0 { return "\(TypicalRequest.fixed(value, digits: 2)) s" }
        return "\(Int(saturating: value * 1000)) ms"
    }
}
