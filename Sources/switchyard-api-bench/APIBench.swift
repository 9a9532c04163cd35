import ArgumentParser
import Foundation

/// `switchyard-api-bench`: the API benchmark's load client (`make bench-api`). wrk cannot
/// use Unix sockets, so this client runs the same closed-loop keep-alive load over both
/// transports; it also times the status page at fleet size.
@main
struct APIBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "switchyard-api-bench",
        abstract: "Keep-alive HTTP load over TCP or a Unix socket, and the status page's rendering cost.",
        subcommands: [Load.self, Page.self, Heavy.self]
    )
}

/// Route queries per second and latency percentiles at several connection counts.
struct Load: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Closed-loop keep-alive load; prints qps, p50, p99 per connection count.")

    @Option(help: "Unix socket path of the daemon.") var unix: String?
    @Option(help: "TCP address of the daemon, host:port.") var tcp: String?
    @Option(help: "Request path.") var path = "/v1/route?model=llama-3.1-8b"
    @Option(help: "A JSON body: the request becomes a POST of it (the gateway benchmark).") var body: String?
    @Option(help: "An extra request header, `Name: value` (repeatable).") var header: [String] = []
    @Option(help: "Connection counts, comma-separated.") var connections = "1,16,64"
    @Option(help: "Seconds measured per connection count.") var seconds = 10.0
    @Option(help: "Seconds of warm-up (not measured) before each.") var warmup = 2.0
    @Flag(help: "Time to the first byte of the body (a stream's first event, TTFT) instead of the whole answer.") var ttft = false

    func run() throws {
        let endpoint: BenchEndpoint
        switch (unix, tcp) {
        case (let path?, nil):
            endpoint = .unix(path: path)
        case (nil, let address?):
            let parts = address.split(separator: ":")
            guard parts.count == 2, let port = UInt16(parts[1]) else { throw ValidationError("--tcp wants host:port, got \(address)") }
            endpoint = .tcp(host: String(parts[0]), port: port)
        default:
            throw ValidationError("give exactly one of --unix PATH or --tcp HOST:PORT")
        }
        let counts = connections.split(separator: ",").compactMap { Int($0) }
        print("client: switchyard-api-bench, \(endpoint), \(body == nil ? "GET" : "POST") \(path), \(seconds) s per row after \(warmup) s warm-up\(ttft ? ", time to the first body byte" : "")")
        print(pad("transport", 10) + pad("conns", 7) + pad("qps", 10) + pad("p50 ms", 9) + pad("p99 ms", 9) + "errors")
        for count in counts {
            var load = LoadRun(endpoint: endpoint, path: path, connections: count, warmupSeconds: warmup, seconds: seconds)
            load.body = body
            load.headers = header
            load.firstByte = ttft
            let result = try load.run()
            let transport = if case .unix = endpoint { "unix" } else { "tcp" }
            print(pad(transport, 10) + pad("\(count)", 7) + pad("\(Int(result.qps.rounded()))", 10)
                  + pad(String(format: "%.3f", result.percentileMs(0.5)), 9) + pad(String(format: "%.3f", result.percentileMs(0.99)), 9)
                  + "\(result.errors)")
        }
    }

    private func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
    }
}
