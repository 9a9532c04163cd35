import SwitchyardCore

/// One target's last hour as an inline SVG: the p50 latency of each minute as a line
/// (scaled to the hour's highest), and a strip of one cell per minute coloured by its
/// success rate (green all good, amber some failures, red mostly failures, grey no data).
enum Sparkline {
    /// Minute slots in the window.
    static let slots = 60
    static let slotWidth = 3
    static let lineHeight = 26
    static let stripHeight = 6
    static var width: Int { slots * slotWidth }
    static var height: Int { lineHeight + 3 + stripHeight }

    /// The SVG for the minute buckets of one target (any order; those outside the window are ignored).
    static func svg(_ buckets: [HistoryBucket], windowStart: Timestamp) -> String {
        var latency = [Double?](repeating: nil, count: slots)
        var success = [Double?](repeating: nil, count: slots)
        var observations = 0
        var successes = 0
        for bucket in buckets {
            let slot = Int(((bucket.start - windowStart) / 60).rounded(.down))
            guard (0..<slots).contains(slot), bucket.count > 0 else { continue }
            latency[slot] = bucket.latency.quantile(0.5)
            success[slot] = Double(bucket.successes) / Double(bucket.count)
            observations += bucket.count
            successes += bucket.successes
        }
        var svg = "<svg class=\"spark\" xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" height=\"\(height)\" viewBox=\"0 0 \(width) \(height)\" role=\"img\""
        guard observations > 0 else {
            svg += " aria-label=\"no history in the last hour\"><title>no history in the last hour</title>"
            svg += "<rect class=\"strip-empty\" x=\"0\" y=\"\(lineHeight + 3)\" width=\"\(width)\" height=\"\(stripHeight)\"/>"
            svg += "<text x=\"\(width / 2)\" y=\"\(lineHeight - 8)\" text-anchor=\"middle\">no data yet</text></svg>"
            return svg
        }
        let values = latency.compactMap { $0 }
        let top = max(values.max() ?? 1, 1)
        let low = values.min() ?? 0
        let label = "last hour: \(observations) observations, \(StatusFormat.percent(Double(successes) / Double(observations))) ok"
            + (values.isEmpty ? "" : ", p50 latency \(StatusFormat.milliseconds(low))–\(StatusFormat.milliseconds(top))")
        svg += " aria-label=\"\(label)\"><title>\(label)</title>"
        svg += "<rect class=\"strip-empty\" x=\"0\" y=\"\(lineHeight + 3)\" width=\"\(width)\" height=\"\(stripHeight)\"/>"
        svg += "<path class=\"latency\" d=\"\(path(latency, top: top))\"/>"
        // One rect per run of minutes with the same colour: a steady hour is one element, not sixty.
        var slot = 0
        while slot < slots {
            guard let rate = success[slot] else {
                slot += 1
                continue
            }
            let tone = Self.tone(rate)
            var end = slot + 1
            while end < slots, let next = success[end], Self.tone(next) == tone { end += 1 }
            svg += "<rect class=\"\(tone)\" x=\"\(slot * slotWidth)\" y=\"\(lineHeight + 3)\" width=\"\((end - slot) * slotWidth)\" height=\"\(stripHeight)\"/>"
            slot = end
        }
        svg += "</svg>"
        return svg
    }

    /// The colour class of a minute's success rate.
    private static func tone(_ rate: Double) -> String {
        rate >= 0.999 ? "ok" : rate >= 0.8 ? "warn" : "bad"
    }

    /// A path through the minutes that have a latency, broken where minutes have none;
    /// a lone minute is a zero-length segment that round caps draw as a dot.
    private static func path(_ latency: [Double?], top: Double) -> String {
        var d = ""
        var drawing = false
        for (slot, value) in latency.enumerated() {
            guard let value else {
                drawing = false
                continue
            }
            let x = slot * slotWidth + slotWidth / 2
            let y = 2 + Int((1 - value / top) * Double(lineHeight - 4))
            if drawing {
                d += "L\(x) \(y)"
            } else {
                d += "M\(x) \(y)l0 0"
                drawing = true
            }
        }
        return d
    }
}
