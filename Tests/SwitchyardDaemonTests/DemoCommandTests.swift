import Foundation
import Testing

/// `switchyard demo` as `make run` starts it: its gateway caller's first line is an answer, on a
/// cold start and on a warm one (a state directory from an earlier run makes the daemon ready at
/// once, before its TCP listener has bound; the caller used to start then and print a refusal).
@Suite(.serialized, .timeLimit(.minutes(3))) struct DemoCommandTests {
    @Test func theFirstGatewayLineIsAnAnswerOnAColdAndOnAWarmStart() async throws {
        try await withTemporaryDirectory { directory in
            for start in ["cold", "warm"] {
                let line = try await Self.firstGatewayLine(stateDir: directory)
                #expect(line?.hasPrefix("gateway: 200 ") == true, "\(start) start: the demo's first gateway line was \(line ?? "never printed")")
            }
        }
    }

    /// Runs the demo until it prints its first `gateway:` line (30 s at most), then stops it with SIGINT.
    static func firstGatewayLine(stateDir: String) async throws -> String? {
        let output = "\(stateDir)/demo-\(UUID().uuidString).out"
        FileManager.default.createFile(atPath: output, contents: nil)
        let demo = Process()
        demo.executableURL = URL(fileURLWithPath: buildDirectory + "/switchyard")
        demo.arguments = ["demo", "--state-dir", stateDir, "--tcp", "127.0.0.1:\(unusedLoopbackPort())", "--log-level", "error"]
        demo.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: output))
        demo.standardError = FileHandle.nullDevice
        try demo.run()
        defer {
            demo.interrupt()
            demo.waitUntilExit()
        }
        let gatewayLine: @Sendable () -> String? = {
            let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
            return text.split(separator: "\n").first { $0.hasPrefix("gateway:") }.map(String.init)
        }
        _ = try await eventuallyOffPool(within: 30) { gatewayLine() != nil }
        return gatewayLine()
    }
}
