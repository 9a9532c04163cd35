import Foundation
import SwitchyardClient

/// A real Prometheus (Debian's `prometheus`) on loopback, scraping one daemon every second,
/// queried through its HTTP API.
struct PrometheusServer: Sendable {
    let connection: DaemonConnection

    struct Sample: Sendable {
        var labels: [String: String]
        var value: Double
    }

    struct QueryError: Error, CustomStringConvertible {
        var description: String
    }

    static func withRunning(scraping daemonPort: Int, in directory: String, _ body: (PrometheusServer) async throws -> Void) async throws {
        let port = unusedLoopbackPort()
        let config = directory + "/prometheus.yml"
        try """
            global: { scrape_interval: 1s, evaluation_interval: 1s }
            scrape_configs:
              - job_name: switchyard
                static_configs: [{ targets: ["127.0.0.1:\(daemonPort)"] }]
            """.write(toFile: config, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/prometheus")
        process.arguments = ["--config.file=\(config)", "--storage.tsdb.path=\(directory)/prometheus-data",
                             "--web.listen-address=127.0.0.1:\(port)", "--log.level=warn"]
        let log = FileHandle(forWritingAtPath: "/dev/null")
        process.standardOutput = log
        process.standardError = log
        try process.run()
        defer {
            process.terminate()
            process.waitUntilExit()
        }
        let server = PrometheusServer(connection: DaemonConnection(endpoint: .url("http://127.0.0.1:\(port)")))
        guard try await eventually(within: 30, { _ = try await server.connection.get("/-/ready"); return true }) else {
            throw QueryError(description: "Prometheus did not become ready on 127.0.0.1:\(port) within 30 s")
        }
        try await body(server)
    }

    /// Evaluates `expression` now; throws with Prometheus's message when it is invalid.
    func query(_ expression: String) async throws -> [Sample] {
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-._~"))
        let encoded = expression.addingPercentEncoding(withAllowedCharacters: allowed) ?? expression
        let data: Data
        do {
            data = try await connection.get("/api/v1/query?query=\(encoded)")
        } catch {
            throw QueryError(description: "\(error)")
        }
        guard let answer = try JSONSerialization.jsonObject(with: data) as? [String: Any], answer["status"] as? String == "success",
              let payload = answer["data"] as? [String: Any] else {
            throw QueryError(description: String(decoding: data, as: UTF8.self))
        }
        switch payload["resultType"] as? String {
        case "vector":
            return (payload["result"] as? [[String: Any]] ?? []).map { item in
                let value = (item["value"] as? [Any])?.last as? String ?? "NaN"
                return Sample(labels: item["metric"] as? [String: String] ?? [:], value: Double(value) ?? .nan)
            }
        case "scalar":
            let value = (payload["result"] as? [Any])?.last as? String ?? "NaN"
            return [Sample(labels: [:], value: Double(value) ?? .nan)]
        default:
            throw QueryError(description: "unexpected result type in \(String(decoding: data, as: UTF8.self))")
        }
    }
}
