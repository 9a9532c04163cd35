import Foundation
import Testing

/// Schemathesis (property-based API testing from openapi/switchyard.json) against a real
/// daemon over TCP: every check (4.x runs all by default; Tests/schemathesis.toml says which
/// are off where), bounded examples, a fixed seed so a failure reproduces.
@Suite(.serialized, .timeLimit(.minutes(30))) struct APISchemathesisTests {
    @Test func schemathesisFindsNoDifferenceBetweenTheDocumentAndTheServer() async throws {
        guard let pyenv = ProcessInfo.processInfo.environment["SWITCHYARD_PYENV"], !pyenv.isEmpty,
              FileManager.default.isExecutableFile(atPath: pyenv + "/bin/st") else {
            Issue.record("schemathesis is missing: run `make pyenv` (and export SWITCHYARD_PYENV=$PWD/.build/pyenv), or use `make test`")
            return
        }
        let token = "adm-\(UUID().uuidString)"
        try await APITestDaemon.run(extraYAML: "admin: { token_env: SY_ADMIN_TOKEN }", environment: ["SY_ADMIN_TOKEN": token]) { daemon in
            let arguments = [
                "--config-file", packageRoot() + "/Tests/schemathesis.toml",
                "run", daemon.tcpURL + "/openapi.json", "--max-examples", "25", "--workers", "2",
                "--seed", "20261129", "--no-color", "--request-timeout", "10",
                "--header", "Authorization: Bearer \(token)",
            ]
            let started = ContinuousClock.now
            let (status, output) = try await offPool { try runProgram(pyenv + "/bin/st", arguments, directory: daemon.directory) }
            let summary = output.split(separator: "\n").suffix(25).joined(separator: "\n")
            #expect(status == 0, "schemathesis found problems:\n\(output.suffix(8000))")
            print("schemathesis: exit \(status) in \(ContinuousClock.now - started)\n\(summary)")
        }
    }
}
