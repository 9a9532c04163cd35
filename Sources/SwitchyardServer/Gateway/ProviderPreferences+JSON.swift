import Foundation
import SwitchyardCore

extension ProviderPreferences {
    /// The class JSONSerialization gives `true` and `false`.
    private static let booleanClass = type(of: NSNumber(value: true))

    /// Reads the body's `provider` object (its raw bytes); an error names the bad field.
    static func parse(_ raw: ArraySlice<UInt8>) throws(OpenAIError) -> ProviderPreferences {
        guard let object = try? JSONSerialization.jsonObject(with: Data(raw)) as? [String: Any] else {
            throw .invalid("bad_provider", "provider: expected an object such as {\"order\": [\"a\", \"b\"], \"allow_fallbacks\": false}")
        }
        let known: Set<String> = ["order", "only", "ignore", "allow_fallbacks", "sort", "max_price", "preferred_max_latency", "preferred_min_throughput"]
        if let unknown = object.keys.sorted().first(where: { !known.contains($0) }) {
            throw .invalid("bad_provider", "provider.\(unknown): unknown field; known: \(known.sorted().joined(separator: ", "))")
        }
        var preferences = ProviderPreferences()
        func names(_ key: String) throws(OpenAIError) -> [ProviderID]? {
            guard let value = object[key] else { return nil }
            guard let list = value as? [String] else { throw .invalid("bad_provider", "provider.\(key): expected a list of provider names") }
            return list.map { ProviderID($0) }
        }
        func number(_ key: String, _ value: Any?) throws(OpenAIError) -> Double? {
            guard let value else { return nil }
            // `is Bool` holds for any NSNumber 0 or 1 on Linux; JSON's true/false come as the boolean class, and big
            // numbers as NSDecimalNumber.
            guard let number = value as? NSNumber, type(of: number) != Self.booleanClass, number.doubleValue.isFinite, number.doubleValue >= 0 else {
                throw .invalid("bad_provider", "provider.\(key): expected a non-negative number")
            }
            return number.doubleValue
        }
        preferences.order = try names("order") ?? []
        preferences.only = try names("only").map(Set.init)
        preferences.ignore = Set(try names("ignore") ?? [])
        if let value = object["allow_fallbacks"] {
            guard let flag = value as? Bool else { throw .invalid("bad_provider", "provider.allow_fallbacks: expected true or false") }
            preferences.allowFallbacks = flag
        }
        if let value = object["sort"] {
            guard let text = value as? String, let strategy = ProviderPreferences.strategy(sort: text) else {
                throw .invalid("bad_provider", "provider.sort: expected price, throughput or latency (or a strategy name)")
            }
            preferences.sort = strategy
        }
        switch object["max_price"] {
        case nil: break
        case let limits as [String: Any]:
            preferences.maxInputPerMTok = try number("max_price.prompt", limits["prompt"])
            preferences.maxOutputPerMTok = try number("max_price.completion", limits["completion"])
            preferences.maxPricePerRequest = try number("max_price.request", limits["request"])
        case let value:
            preferences.maxPricePerRequest = try number("max_price", value)
        }
        // A number, or OpenRouter's percentile object ({"p50": ...}): the p50 is what we compare.
        func soft(_ key: String) throws(OpenAIError) -> Double? {
            if let percentiles = object[key] as? [String: Any] { return try number("\(key).p50", percentiles["p50"]) }
            return try number(key, object[key])
        }
        preferences.preferredMaxLatencySeconds = try soft("preferred_max_latency")
        preferences.preferredMinThroughput = try soft("preferred_min_throughput")
        return preferences
    }
}
