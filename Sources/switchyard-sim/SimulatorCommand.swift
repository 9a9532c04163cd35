import ArgumentParser
import Foundation
import Hummingbird
import Logging
import SwitchyardSimulator

/// `switchyard-sim`: one simulated provider on loopback, for tests, demos and benchmarks.
@main
struct SimulatorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "switchyard-sim",
        abstract: "A fake OpenAI/Ollama/TGI provider with injectable latency and faults (PUT /_sim/behavior to change them)."
    )

    @Option(help: "Address to bind; loopback only by default.") var host = "127.0.0.1"
    @Option(help: "Port (0 picks a free one and prints it).") var port = 0
    @Option(help: "Name reported in x-inference-provider.") var name = "sim"
    @Option(help: "Comma-separated model ids served.") var models = "llama-3.1-8b"
    @Option(help: "Base latency in milliseconds.") var latencyMs = 20.0
    @Option(help: "Extra random latency up to this many milliseconds.") var jitterMs = 0.0
    @Option(help: "Probability of a 500 per request.") var errorRate = 0.0
    @Option(help: "Fault: \(SimulatorBehavior.Fault.allCases.map(\.rawValue).joined(separator: ", ")).") var fault = "none"
    @Option(help: "Task fault inside a 200: \(SimulatorTaskFault.allCases.map(\.rawValue).joined(separator: ", ")).") var taskFault = "none"
    @Option(help: "Milliseconds from the request to the first streamed token.") var ttftMs = 0.0
    @Option(help: "Streaming speed after the first token.") var tokensPerSecond = 500.0
    @Option(help: "Output tokens per answer (capped by max_tokens).") var completionTokens = 8
    @Option(help: "Seed for the fault generator.") var seed: UInt64 = 1
    @Option(help: "Serve a generated Hugging Face router catalog of MODELSxPROVIDERS (e.g. 50x6) on /v1/models (PUT /_sim/catalog to change it).")
    var catalog: String?

    func run() async throws {
        guard let fault = SimulatorBehavior.Fault(rawValue: fault) else { throw ValidationError("unknown --fault \(fault)") }
        guard let taskFault = SimulatorTaskFault(rawValue: taskFault) else { throw ValidationError("unknown --task-fault \(taskFault)") }
        var behavior = SimulatorBehavior(
            models: models.split(separator: ",").map(String.init), latencyMs: latencyMs, jitterMs: jitterMs,
            errorRate: errorRate, fault: fault, completionTokens: completionTokens,
            ttftMs: ttftMs, tokensPerSecond: tokensPerSecond
        )
        behavior.taskFault = taskFault
        let simulator = ProviderSimulator(name: name, behavior: behavior, seed: seed)
        if let catalog {
            let sizes = catalog.split(separator: "x").compactMap { Int($0) }
            guard sizes.count == 2, sizes.allSatisfy({ $0 > 0 }) else { throw ValidationError("--catalog takes MODELSxPROVIDERS, e.g. 50x6") }
            simulator.setCatalog(.generated(models: sizes[0], providers: sizes[1]))
        }
        let app = simulator.application(address: .hostname(host, port: port)) { port in
            FileHandle.standardOutput.write(Data("switchyard-sim \(simulator.name) listening on http://\(host):\(port)\n".utf8))
        }
        try await app.runService()
    }
}

