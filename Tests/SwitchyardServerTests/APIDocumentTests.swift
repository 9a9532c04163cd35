import Foundation
import HummingbirdTesting
import SwitchyardServer
import SwitchyardTestSupport
import SwitchyardWire
import Testing

/// The router against its OpenAPI document: the same operations, the document served as built,
/// bad parameters named on every route. Through the router, no daemon (see RouterHarness).
@Suite(.timeLimit(.minutes(2))) struct APIDocumentTests {
    /// (method, path) of every operation in openapi/switchyard.json.
    static func documentedOperations() throws -> Set<String> {
        let data = try Data(contentsOf: URL(fileURLWithPath: packageRoot() + "/openapi/switchyard.json"))
        let document = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let paths = try #require(document["paths"] as? [String: [String: Any]])
        return Set(paths.flatMap { path, operations in operations.keys.map { "\($0.uppercased()) \(path)" } })
    }

    @Test func theServedDocumentIsTheRepositoryFile() async throws {
        let file = try String(contentsOfFile: packageRoot() + "/openapi/switchyard.json", encoding: .utf8)
        #expect(OpenAPIDocument.json + "\n" == file, "the build embeds openapi/switchyard.json (WireTypesPlugin)")
        try await RouterHarness.run { client, _ in
            let served = try await client.send(.get, "/openapi.json")
            #expect(served.status == .ok)
            #expect(served.headers[.contentType] == "application/json")
            #expect(served.text == OpenAPIDocument.json)
        }
    }

    @Test func theRouteTableIsExactlyTheDocumentedOperations() throws {
        let served = Set(APIEndpoint.allCases.map { "\($0.method.rawValue) \($0.path)" })
        let documented = try Self.documentedOperations()
        #expect(served.subtracting(documented).isEmpty, "served but not documented: \(served.subtracting(documented).sorted())")
        #expect(documented.subtracting(served).isEmpty, "documented but not served: \(documented.subtracting(served).sorted())")
    }

    /// Unknown and malformed query parameters are 400 naming the parameter on every route;
    /// unknown model or provider is 404 listing what exists.
    @Test func badParametersAreNamedOnEveryRoute() async throws {
        let operations = try Self.documentedOperations().sorted()
        try await RouterHarness.run { client, _ in
            for operation in operations {
                let parts = operation.split(separator: " ")
                let path = String(parts[1]).replacingOccurrences(of: "{name}", with: "a").replacingOccurrences(of: "{model}", with: "m")
                let separator = path.contains("?") ? "&" : "?"
                let answer = try await client.send(.init(String(parts[0]))!, path + separator + "bogus=1")
                #expect(answer.status == .badRequest, "\(operation)?bogus=1 answered \(answer.status)")
                #expect(answer.text.contains(#""code":"bad_parameter""#) && answer.text.contains("bogus: unknown parameter"), "\(operation): \(answer.text)")
            }
            let cases: [(String, String)] = [
                ("/v1/route?model=m&limit=0", "limit:"), ("/v1/route?model=m&limit=1001", "limit:"), ("/v1/route?model=m&max_price=-1", "max_price:"),
                ("/v1/route?model=m&strategy=random", "strategy:"), ("/v1/route", "model:"), ("/v1/route?model=", "model:"),
                ("/v1/route?model=m&model=m", "model:"), ("/v1/route?model=m&pick=spread", "client:"),
                ("/v1/route?model=m&needs=tools,telepathy", "needs: 'telepathy' is not one of"), ("/v1/route?model=m&needs=", "needs:"),
                ("/v1/route?model=m&min_context=0", "min_context:"), ("/v1/route?model=m&min_context=1e6", "min_context:"),
                ("/v1/route?model=m&min_context=9999999999999", "min_context:"),
                ("/v1/history?since=yesterday", "since:"), ("/v1/history?since=", "since:"), ("/v1/history?until=0x1p3", "until:"),
                ("/v1/history?step=5m", "step:"), ("/v1/history?since=0&step=1m", "step:"), ("/v1/history?since=2000&until=1000", "since:"),
                ("/v1/events?limit=0", "limit:"), ("/v1/events?limit=x", "limit:"), ("/v1/events?since=soon", "since:"),
            ]
            for (path, named) in cases {
                let answer = try await client.send(.get, path)
                #expect(answer.status == .badRequest, "\(path) answered \(answer.status)")
                #expect(answer.text.contains(#""message":""# + named), "\(path): \(answer.text)")
            }
            let notFound: [(String, String)] = [
                ("/v1/route?model=nope", "configured: m"), ("/v1/providers/nope", "configured: a, b"),
                ("/v1/history?provider=nope", "configured: a, b"), ("/v1/history?model=nope", "configured: m"),
            ]
            for (path, listing) in notFound {
                let answer = try await client.send(.get, path)
                #expect(answer.status == .notFound, "\(path) answered \(answer.status)")
                #expect(answer.text.contains(listing), "\(path): \(answer.text)")
            }
        }
    }
}
