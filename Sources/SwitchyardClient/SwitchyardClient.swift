import Foundation
import SwitchyardCore

/// The answer of `GET /v1/route`.
public struct RouteAnswer: Decodable, Sendable {
    public var model: String
    public var strategy: String
    public var candidates: [RouteCandidate]
    public var panic: Bool
    public var earliestRetryAt: String?
    public var generatedAt: String

    enum CodingKeys: String, CodingKey {
        case model, strategy, candidates, panic
        case earliestRetryAt = "earliest_retry_at"
        case generatedAt = "generated_at"
    }
}

/// Typed calls to the daemon's API.
public struct SwitchyardClient: Sendable {
    public let connection: DaemonConnection

    public init(endpoint: DaemonEndpoint = .defaultSocket(), token: String? = nil) {
        connection = DaemonConnection(endpoint: endpoint, token: token)
    }

    /// The ranked candidates for `model`.
    public func route(model: String, strategy: RoutingStrategy? = nil) async throws -> RouteAnswer {
        var query = "model=\(escape(model))"
        if let strategy { query += "&strategy=\(strategy.rawValue)" }
        let data = try await connection.get("/v1/route?" + query)
        do {
            return try JSONDecoder().decode(RouteAnswer.self, from: data)
        } catch {
            throw ClientError.badAnswer("\(error)")
        }
    }

    private func escape(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed.subtracting(CharacterSet(charactersIn: "&=+"))) ?? text
    }
}
