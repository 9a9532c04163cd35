import SwitchyardCore

extension ConfigDecoder {
    /// `hedge: { after: p95, max_extra: 5% }` (beside `attempt_timeout`), or `hedge: off` to
    /// turn off what a provider or the defaults set. `after` is p50, p90, p95, p99 or a duration.
    func decodeHedge(_ cursor: YAMLCursor) throws -> HedgeSettings? {
        if case .scalar = cursor.node {
            guard try cursor.string() == "off" else {
                throw cursor.error("\(cursor.path) must be { after: p95, max_extra: 5% } or off")
            }
            return nil
        }
        let map = try cursor.mapping(allowedKeys: ["after", "max_extra"])
        let afterCursor = try map.required("after")
        let after = try afterCursor.string().trimmingCharacters(in: .whitespaces)
        let trigger: HedgeTrigger
        if let named = HedgeTrigger.namedQuantiles.first(where: { $0.name == after }) {
            trigger = .quantile(named.value)
        } else if let seconds = DurationText.parse(after), seconds > 0 {
            trigger = .seconds(seconds)
        } else {
            let names = HedgeTrigger.namedQuantiles.map(\.name).joined(separator: ", ")
            throw afterCursor.error("\(afterCursor.path): '\(after)' is neither a quantile (\(names)) nor a duration (e.g. 800ms)")
        }
        let extraCursor = try map.required("max_extra")
        let text = try extraCursor.string().trimmingCharacters(in: .whitespaces)
        let share = text.hasSuffix("%") ? Double(text.dropLast()).map { $0 / 100 } : Double(text)
        guard let share, share.isFinite, share > 0, share <= 1 else {
            throw extraCursor.error("\(extraCursor.path): '\(text)' is not a share of extra requests above 0 and at most 100% (e.g. 5%)")
        }
        return HedgeSettings(trigger: trigger, maxExtra: share)
    }
}
