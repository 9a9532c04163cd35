import Foundation
import HTTPTypes
import SwitchyardClient
import SwitchyardServer
import SwitchyardWire
import Testing

/// The API against its OpenAPI document: same routes, errors as documented, checked on a real daemon.
@Suite(.serialized, .timeLimit(.minutes(10))) struct APIContractTests {
    /// (method, path) of every operation in openapi/switchyard.json.
    static func documentedOperations() throws -> Set<String> {
        let data = try Data(contentsOf: URL(fileURLWithPath: packageRoot() + "/openapi/switchyard.json"))
        let document = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let paths = try #require(document["paths"] as? [String: [String: Any]])
        return Set(paths.flatMap { path, operations in operations.keys.map { "\($0.uppercased()) \(path)" } })
    }

    @Test func theServedDocumentIsTheRepositoryFile() throws {
        let file = try String(contentsOfFile: packageRoot() + "/openapi/switchyard.json", encoding: .utf8)
        #expect(OpenAPIDocument.json + "\n" == file, "the build embeds openapi/switchyard.json (WireTypesPlugin)")
    }

    @Test func theRouteTableIsExactlyTheDocumentedOperations() throws {
        let served = Set(APIEndpoint.allCases.map { "\($0.method.rawValue) \($0.path)" })
        let documented = try Self.documentedOperations()
        #expect(served.subtracting(documented).isEmpty, "served but not documented: \(served.subtracting(documented).sorted())")
        #expect(documented.subtracting(served).isEmpty, "documented but not served: \(documented.subtracting(served).sorted())")
    }

    /// Probes each documented operation on both listeners of a live daemon: none may answer
    /// "no such route"; a path that is not documented must.
    @Test func everyDocumentedOperationAnswersOnBothListenersAndNothingElseDoes() async throws {
        let operations = try Self.documentedOperations()
        try await APITestDaemon.run { daemon in
            for address in [RawHTTP.Address.tcp(port: daemon.tcpPort), .unix(path: daemon.socketPath)] {
                for operation in operations.sorted() {
                    let parts = operation.split(separator: " ")
                    let path = String(parts[1]).replacingOccurrences(of: "{name}", with: "a")
                    let answer = try await RawHTTP.exchange(address, String(parts[0]), path)
                    #expect(![404, 405].contains(answer.status) || answer.body.contains("unknown_"), "\(operation) on \(address): \(answer.status) \(answer.body)")
                    #expect(answer.status != 500, "\(operation) on \(address): \(answer.body)")
                }
                let unknown = try await RawHTTP.exchange(address, "GET", "/v1/nothing-here")
                #expect(unknown.status == 404)
                #expect(unknown.headers["content-type"] == "application/json")
                #expect(unknown.body.contains(#""code":"not_found""#))

                let wrongMethod = try await RawHTTP.exchange(address, "DELETE", "/v1/providers/a")
                #expect(wrongMethod.status == 405)
                #expect(wrongMethod.headers["allow"] == "GET")
                #expect(wrongMethod.body.contains(#""code":"method_not_allowed""#))
                let postOnGet = try await RawHTTP.exchange(address, "POST", "/v1/route?model=m")
                #expect(postOnGet.status == 405)
            }
            // Served document = repository document.
            let served = try await daemon.unix.get("/openapi.json")
            #expect(String(decoding: served, as: UTF8.self) == OpenAPIDocument.json)
        }
    }

    /// Unknown and malformed query parameters are 400 naming the parameter on every route;
    /// unknown model or provider is 404 listing what exists.
    @Test func badParametersAreNamedOnEveryRoute() async throws {
        try await APITestDaemon.run { daemon in
            let address = RawHTTP.Address.unix(path: daemon.socketPath)
            for operation in try Self.documentedOperations().sorted() {
                let parts = operation.split(separator: " ")
                let path = String(parts[1]).replacingOccurrences(of: "{name}", with: "a")
                let separator = path.contains("?") ? "&" : "?"
                let answer = try await RawHTTP.exchange(address, String(parts[0]), path + separator + "bogus=1")
                #expect(answer.status == 400, "\(operation)?bogus=1 answered \(answer.status)")
                #expect(answer.body.contains(#""code":"bad_parameter""#) && answer.body.contains("bogus: unknown parameter"), "\(operation): \(answer.body)")
            }
            let cases: [(String, String)] = [
                ("/v1/route?model=m&limit=0", "limit:"), ("/v1/route?model=m&limit=1001", "limit:"), ("/v1/route?model=m&max_price=-1", "max_price:"),
                ("/v1/route?model=m&strategy=random", "strategy:"), ("/v1/route", "model:"), ("/v1/route?model=", "model:"),
                ("/v1/route?model=m&model=m", "model:"), ("/v1/route?model=m&pick=spread", "client:"),
                ("/v1/history?since=yesterday", "since:"), ("/v1/history?since=", "since:"), ("/v1/history?until=0x1p3", "until:"),
                ("/v1/history?step=5m", "step:"), ("/v1/history?since=0&step=1m", "step:"), ("/v1/history?since=2000&until=1000", "since:"),
                ("/v1/events?limit=0", "limit:"), ("/v1/events?limit=x", "limit:"), ("/v1/events?since=soon", "since:"),
            ]
            for (path, named) in cases {
                let answer = try await RawHTTP.exchange(address, "GET", path)
                #expect(answer.status == 400, "\(path) answered \(answer.status)")
                #expect(answer.body.contains(#""message":""# + named), "\(path): \(answer.body)")
            }
            let notFound: [(String, String)] = [
                ("/v1/route?model=nope", "configured: m"), ("/v1/providers/nope", "configured: a, b"),
                ("/v1/history?provider=nope", "configured: a, b"), ("/v1/history?model=nope", "configured: m"),
            ]
            for (path, listing) in notFound {
                let answer = try await RawHTTP.exchange(address, "GET", path)
                #expect(answer.status == 404, "\(path) answered \(answer.status)")
                #expect(answer.body.contains(listing), "\(path): \(answer.body)")
            }
        }
    }
}
