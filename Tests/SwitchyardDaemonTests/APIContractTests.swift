import Foundation
import HTTPTypes
import SwitchyardClient
import SwitchyardServer
import Testing

/// The API against its OpenAPI document on a real daemon, on both listeners (the router alone: APIDocumentTests).
@Suite(.serialized, .timeLimit(.minutes(10))) struct APIContractTests {
    /// (method, path) of every operation in openapi/switchyard.json.
    static func documentedOperations() throws -> Set<String> {
        let data = try Data(contentsOf: URL(fileURLWithPath: packageRoot() + "/openapi/switchyard.json"))
        let document = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let paths = try #require(document["paths"] as? [String: [String: Any]])
        return Set(paths.flatMap { path, operations in operations.keys.map { "\($0.uppercased()) \(path)" } })
    }

    /// Probes each documented operation on both listeners of a live daemon: none may answer
    /// "no such route"; a path that is not documented must.
    @Test func everyDocumentedOperationAnswersOnBothListenersAndNothingElseDoes() async throws {
        let operations = try Self.documentedOperations()
        try await APITestDaemon.run { daemon in
            for address in [RawHTTP.Address.tcp(port: daemon.tcpPort), .unix(path: daemon.socketPath)] {
                for operation in operations.sorted() {
                    let parts = operation.split(separator: " ")
                    let path = String(parts[1]).replacingOccurrences(of: "{name}", with: "a").replacingOccurrences(of: "{model}", with: "m")
                    let answer = try await RawHTTP.exchange(address, String(parts[0]), path)
                    // A 404 only for what the route looked up (unknown_provider, model_not_found), never "no such route".
                    #expect(![404, 405].contains(answer.status) || answer.body.contains("unknown_") || answer.body.contains("model_not_found"),
                            "\(operation) on \(address): \(answer.status) \(answer.body)")
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
            #expect(String(decoding: served, as: UTF8.self) + "\n" == (try String(contentsOfFile: packageRoot() + "/openapi/switchyard.json", encoding: .utf8)))
        }
    }
}
