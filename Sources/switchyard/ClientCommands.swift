import ArgumentParser
import Foundation
import SwitchyardClient
import SwitchyardWire
import SwitchyardCore

/// How client commands find the daemon. Exit codes: 0 ok, 1 daemon error, 2 usage, 3 unreachable.
struct ConnectionOptions: ParsableArguments {
    @Option(name: .long, help: "Unix socket of the daemon (default $SWITCHYARD_SOCKET, else $RUNTIME_DIRECTORY/switchyard.sock, else /run/switchyard/switchyard.sock).")
    var socket: String?
    @Option(name: .long, help: "Talk to the daemon over TCP instead, e.g. http://127.0.0.1:7464.")
    var url: String?
    @Option(name: .long, help: "Admin bearer token for --url (prefer --token-file or $SWITCHYARD_TOKEN: an argument shows in ps); not needed on the Unix socket.")
    var token: String?
    @Option(name: .customLong("token-file"), help: "Read the admin bearer token for --url from this file (trailing newline ignored).")
    var tokenFile: String?
    @Flag(name: .long, help: "Print the daemon's JSON instead of a table.")
    var json = false

    /// The token from --token, --token-file or $SWITCHYARD_TOKEN.
    var resolvedToken: String? {
        get throws {
            if let token { return token }
            if let tokenFile {
                guard let text = try? String(contentsOfFile: tokenFile, encoding: .utf8) else {
                    throw ValidationError("cannot read the token file \(tokenFile)")
                }
                let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
                return trimmed.isEmpty ? nil : trimmed
            }
            return ProcessInfo.processInfo.environment["SWITCHYARD_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
        }
    }

    var endpoint: DaemonEndpoint {
        if let url { return .url(url) }
        if let socket { return .unixSocket(socket) }
        return .defaultSocket()
    }

    /// Runs a client call, mapping its failures onto the documented exit codes.
    /// `timeoutSeconds` replaces the client library's (short, for routes) for slow reads such as history pages.
    func call<T>(timeoutSeconds: Double? = nil, _ body: (SwitchyardClient) async throws -> T) async throws -> T {
        var options = ClientOptions()
        if let timeoutSeconds { options.daemonTimeoutSeconds = timeoutSeconds }
        do {
            return try await body(SwitchyardClient(endpoint: endpoint, token: try resolvedToken, options: options))
        } catch let error as ClientError {
            throw Self.exit(for: error)
        }
    }

    /// Prints the failure and gives its exit code: 3 unreachable, 1 anything else from the daemon.
    static func exit(for error: ClientError) -> ExitCode {
        switch error {
        case .unreachable: Failure.exit("\(error)", code: 3)
        case .daemon, .transport, .badAnswer: Failure.exit("\(error)", code: 1)
        }
    }

    /// GETs `path` with the given query items (nil values left out), percent-encoded.
    func get(_ path: String, _ items: [(String, String?)] = [], timeoutSeconds: Double? = nil) async throws -> Data {
        let query = items.compactMap { name, value in value.map { "\(name)=\(DaemonConnection.escape($0))" } }.joined(separator: "&")
        return try await call(timeoutSeconds: timeoutSeconds) { try await $0.connection.get(query.isEmpty ? path : path + "?" + query) }
    }

    func printJSON(_ data: Data) {
        FileHandle.standardOutput.write(data)
        print()
    }
}

struct RouteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "route", abstract: "Show the ranked providers for a model.")

    @Argument(help: "The model name clients ask for.")
    var model: String
    @Option(name: .long, help: "balanced, latency, fastest, cheapest or preferred.")
    var strategy: RoutingStrategy?
    @Option(name: .long, help: "What the request needs, comma-separated: tools, structured_output, vision.")
    var needs: String?
    @Option(name: .customLong("min-context"), help: "Tokens of prompt plus answer the request needs.")
    var minContext: Int?
    @Option(name: .long, help: "The task to route: chat (default), completion, embeddings, text-to-image, speech-to-text, text-to-speech, text-to-video.")
    var task: String?
    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        let parameters = [("model", model), ("strategy", strategy?.rawValue), ("task", task), ("needs", needs), ("min_context", minContext.map(String.init))]
        if connection.json { return connection.printJSON(try await connection.get("/v1/route", parameters)) }
        if task != nil {
            // A task's route, read as the daemon answers it (the daemon says what a bad task is).
            let data = try await connection.get("/v1/route", parameters)
            return show(try JSONDecoder().decode(RouteAnswer.self, from: data))
        }
        var wanted = CapabilityNeeds(minContext: minContext)
        if let needs {
            guard case .success(let parsed) = CapabilityNeeds.parse(needs: needs) else {
                throw ValidationError("--needs: '\(needs)' is not a comma-separated list of tools, structured_output, vision")
            }
            wanted.tools = parsed.tools
            wanted.structuredOutput = parsed.structuredOutput
            wanted.vision = parsed.vision
        }
        show(try await connection.call { [wanted] in try await $0.route(model: model, strategy: strategy, needs: wanted) })
    }

    private func show(_ route: RouteAnswer) {
        let task = route.task.map { $0 == .chat ? "" : ", \($0.rawValue)" } ?? ""
        print("\(route.model) (\(route.strategy.rawValue)\(task))\(route.panic ? "  PANIC: no healthy provider, best effort order" : "")")
        let rows = route.candidates.enumerated().map { index, c in
            ["\(index + 1)", c.provider, c.state.rawValue, Table.ms(c.latencyP50Ms), Table.percent(c.successRate),
             c.pricePerRequest.map { String(format: "$%.6f", $0) } ?? "-", c.reasons.joined(separator: "; ")]
        }
        print(Table.render(header: ["#", "PROVIDER", "STATE", "P50", "SUCCESS", "PRICE/REQ", "REASONS"], rows: rows))
        for exclusion in route.excluded ?? [] { print("left out: \(exclusion.provider): \(exclusion.reason)") }
    }
}

struct Providers: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show every provider's targets with state and statistics.")

    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        let data = try await connection.call { try await $0.connection.get("/v1/providers") }
        if connection.json { return connection.printJSON(data) }
        let answer = try JSONDecoder().decode(Wire.ProviderList.self, from: data)
        let rows = answer.providers.flatMap { provider in
            provider.targets.map { t in
                [provider.name, t.model, t.task?.rawValue ?? "chat", t.state.rawValue, Table.ms(t.latencyP50Ms), Table.percent(t.successRate), "\(t.samples)",
                 Capabilities(t.capabilities).summary, t.origin, t.lastError.map { "\($0): \(t.lastErrorMessage ?? "")" } ?? "-"]
            }
        }
        print(Table.render(header: ["PROVIDER", "MODEL", "TASK", "STATE", "P50", "SUCCESS", "SAMPLES", "CAPABILITIES", "ORIGIN", "LAST ERROR"], rows: rows))
    }
}

struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Is the daemon ready, and how are its targets?")

    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        let ready: Data
        do {
            ready = try await SwitchyardClient(endpoint: connection.endpoint).connection.get("/readyz")
        } catch ClientError.daemon(status: 503, _, _) {
            ready = Data("{\"ready\":false}".utf8)  // not ready yet: still worth showing the targets
        } catch let error as ClientError {
            throw ConnectionOptions.exit(for: error)
        }
        let providers = try await connection.call { try await $0.connection.get("/v1/providers") }
        if connection.json {
            return connection.printJSON(Data("{\"readiness\":".utf8) + ready + Data(",\"providers\":".utf8) + providers + Data("}".utf8))
        }
        let readiness = (try? JSONDecoder().decode(Wire.Readiness.self, from: ready))?.ready ?? false
        let answer = try JSONDecoder().decode(Wire.ProviderList.self, from: providers)
        var counts: [String: Int] = [:]
        for target in answer.providers.flatMap(\.targets) { counts[target.state.rawValue, default: 0] += 1 }
        print("switchyard at \(connection.endpoint): \(readiness ? "ready" : "not ready")")
        print("targets: " + counts.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", "))
    }
}

extension RoutingStrategy: ExpressibleByArgument {}


/// Plain aligned text tables for humans.
enum Table {
    static func render(header: [String], rows: [[String]]) -> String {
        let all = [header] + rows
        let widths = header.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
        return all.map { row in
            row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }

    static func ms(_ value: Double?) -> String { value.map { "\(Int($0.rounded())) ms" } ?? "-" }
    static func percent(_ value: Double) -> String { "\(Int((value * 100).rounded()))%" }
}
