import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import SwitchyardCore
import SwitchyardWire

/// `GET /v1/history` (rollups) and `GET /v1/events` (transitions), read from the store
/// through Core's `HistoryReading`.
enum HistoryRoutes {
    /// The most buckets one history answer (one page) may hold, all its targets together; more
    /// targets than fit go to further pages (`next`). 30 days of minutes for one target fit.
    static let maxBuckets = 50_000

    private static func reader(_ deps: APIDependencies) throws -> any HistoryReading {
        guard let reader = deps.history else {
            throw APIError(.serviceUnavailable, code: "history_unavailable", message: "this daemon keeps no history store")
        }
        return reader
    }

    /// `GET /v1/history`: one page of whole targets, streamed as it is read from the store on the
    /// heavy-read threads; `next` (and a `Link: rel="next"` header) asks for the following page.
    static func history(_ request: Request, _ deps: APIDependencies) throws -> Response {
        let parameters = try QueryParameters(request, known: ["provider", "model", "since", "until", "step", "cursor"])
        let now = deps.clock.now()
        let until = try parameters.timestamp("until") ?? now
        let since = try parameters.timestamp("since") ?? (until + -86_400)
        guard since < until else { throw APIError.badParameter("since", "must be before until (\(until.rfc3339))") }
        let span = until - since
        let step: HistoryStep
        switch parameters.text("step") ?? "auto" {
        case "auto": step = span <= 86_400 ? .minute : .hour
        case let text:
            guard let parsed = HistoryStep(rawValue: text) else { throw APIError.badParameter("step", "'\(text)' is not one of 1m, 1h, auto") }
            step = parsed
        }
        guard span / step.seconds <= Double(maxBuckets) else {
            throw APIError.badParameter("step", "\(Int(span / step.seconds)) buckets of \(step.rawValue) exceed \(maxBuckets); use step=1h or a shorter range")
        }
        let provider = parameters.text("provider").map { ProviderID($0) }
        let model = parameters.text("model").map { ModelName($0) }
        let cursor = try parameters.text("cursor").map(HistoryCursor.decode)
        let configured = deps.healthBook.snapshots().map(\.descriptor.target)
        if let provider, !configured.contains(where: { $0.provider == provider }) {
            throw APIError.notFound("unknown_provider", "no provider named '\(provider)'; configured: \(AdminRoutes.configuredProviders(deps))")
        }
        if let model, !configured.contains(where: { $0.model == model }) {
            let models = configured.reduce(into: [String]()) { if !$0.contains($1.model.rawValue) { $0.append($1.model.rawValue) } }
            throw APIError.notFound("unknown_model", "no model named '\(model)'; configured: \(models.joined(separator: ", "))")
        }
        let reader = try reader(deps)
        let slot = try deps.heavyReads.admit()
        let matching = configured.filter { (provider == nil || $0.provider == provider) && (model == nil || $0.model == model) }
        // A bucket per step, plus one for a range not aligned to steps.
        let bucketsPerTarget = Int((span / step.seconds).rounded(.up)) + 1
        let page = HistoryPagePlan.plan(matching, from: cursor, bucketsPerTarget: bucketsPerTarget, maxBuckets: maxBuckets)
        let next = page.next.map { nextLink(provider: provider, model: model, since: since, until: until, step: step, cursor: $0) }
        let stream = HistoryStream(since: since, until: until, step: step, targets: page.targets, next: next, fetch: { target in
            try reader.history(HistoryQuery(provider: target.provider, model: target.model, since: since, until: until, step: step))
        }, heavy: deps.heavyReads)
        var headers: HTTPFields = [.contentType: "application/json"]
        if let next { headers[HTTPField.Name("Link")!] = "<\(next)>; rel=\"next\"" }
        return Response(status: .ok, headers: headers, body: ResponseBody { writer in
            try await stream.write { try await writer.write($0) }
            withExtendedLifetime(slot) {}  // the heavy-read slot is held until the page is written
            try await writer.finish(nil)
        })
    }

    /// The next page: the same range (as Unix seconds, so it does not move with the clock), step and filters, from `cursor`.
    static func nextLink(provider: ProviderID?, model: ModelName?, since: Timestamp, until: Timestamp, step: HistoryStep, cursor: Target) -> String {
        var items = [("since", Self.seconds(since)), ("until", Self.seconds(until)), ("step", step.rawValue)]
        if let provider { items.append(("provider", provider.rawValue)) }
        if let model { items.append(("model", model.rawValue)) }
        items.append(("cursor", HistoryCursor.encode(cursor)))
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        let query = items.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed) ?? $0.1)" }.joined(separator: "&")
        return "/v1/history?" + query
    }

    private static func seconds(_ time: Timestamp) -> String {
        var text = String(format: "%.6f", time.secondsSinceEpoch)
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text
    }

    static func events(_ request: Request, _ deps: APIDependencies) throws -> Response {
        let parameters = try QueryParameters(request, known: ["since", "limit"])
        var limit = 100
        if let text = parameters.text("limit") {
            guard let value = Int(text), (1...1000).contains(value) else { throw APIError.badParameter("limit", "'\(text)' is not a whole number from 1 to 1000") }
            limit = value
        }
        let since = try parameters.timestamp("since")
        let history = try reader(deps)
        let events = LoggedEvent.merged(try history.events(since: since, limit: limit), try history.daemonEvents(since: since, limit: limit),
                                        limit: limit)
        return try JSONResponse.make(Wire.Events(events: events.map(Wire.Event.init)))
    }
}

/// Query parameters checked against the known names; values parsed with errors naming the parameter.
/// A parameter given empty (`?since=`) is a mistake unless listed in `allowEmpty`; one given twice is too.
struct QueryParameters {
    private let values: [String: String]

    init(_ request: Request, known: Set<String>, allowEmpty: Set<String> = []) throws {
        var values: [String: String] = [:]
        for (key, value) in request.uri.queryParameters {
            let name = String(key)
            guard known.contains(name) else {
                let list = known.isEmpty ? "this route takes no query parameters" : "known: \(known.sorted().joined(separator: ", "))"
                throw APIError.badParameter(name, "unknown parameter; \(list)")
            }
            guard values[name] == nil else { throw APIError.badParameter(name, "given more than once") }
            guard !value.isEmpty || allowEmpty.contains(name) else { throw APIError.badParameter(name, "must not be empty") }
            values[name] = String(value)
        }
        self.values = values
    }

    /// The value, nil when absent or empty.
    func text(_ name: String) -> String? {
        guard let value = values[name], !value.isEmpty else { return nil }
        return value
    }

    /// A time as Unix seconds or RFC 3339.
    func timestamp(_ name: String) throws -> Timestamp? {
        guard let text = text(name) else { return nil }
        // Plain decimal seconds only: Double(_:) would also take "1e9", "0x1p3" and "+5".
        if text.wholeMatch(of: /-?[0-9]{1,12}(\.[0-9]{1,9})?/) != nil, let seconds = Double(text) {
            return Timestamp(secondsSinceEpoch: seconds)
        }
        if let time = Timestamp(rfc3339: text) { return time }  // the parser reports' started_at goes through
        throw APIError.badParameter(name, "'\(text)' is not Unix seconds or an RFC 3339 time such as 2026-11-29T08:00:00Z")
    }
}
