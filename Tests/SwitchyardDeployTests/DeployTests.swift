import Foundation
import Testing

private let repository = packageRoot()


private func temporaryDirectory() throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("sy-deploy-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// The unit as installed, pointing at the binary this build produced (verify checks it exists).
private func installedUnit() throws -> String {
    let directory = try temporaryDirectory()
    let unit = try String(contentsOfFile: repository + "/deploy/switchyard.service", encoding: .utf8)
        .replacingOccurrences(of: "/usr/local/bin/switchyard", with: buildDirectory + "/switchyard")
    try unit.write(toFile: directory + "/switchyard.service", atomically: true, encoding: .utf8)
    try FileManager.default.copyItem(atPath: repository + "/deploy/switchyard.socket", toPath: directory + "/switchyard.socket")
    return directory + "/switchyard.service"
}

@Suite(.timeLimit(.minutes(30))) struct DeployTests {
    @Test func unitPassesSystemdAnalyzeVerifyWithoutAWord() throws {
        let service = try installedUnit()
        let socket = service.replacingOccurrences(of: ".service", with: ".socket")
        let (status, output) = try runProgram("/usr/bin/systemd-analyze", ["verify", service, socket])
        #expect(status == 0)
        #expect(output.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "\(output)")
    }

    /// `--threshold` counts in tenths of the printed level (systemd 252): 20 means "at most 2.0".
    @Test func unitExposureIsAtMostTwo() throws {
        let (status, output) = try runProgram("/usr/bin/systemd-analyze", ["security", "--offline=true", "--threshold=20", try installedUnit()])
        #expect(status == 0, "\(output)")
        let line = try #require(output.split(separator: "\n").first { $0.contains("Overall exposure level") })
        let score = try #require(line.split(separator: " ").compactMap { Double($0) }.first)
        #expect(score <= 2.0)
    }

    @Test func exampleConfigIsValid() throws {
        let (status, output) = try runProgram(buildDirectory + "/switchyard", ["check-config", "--config", repository + "/deploy/switchyard.yaml"])
        #expect(status == 0, "\(output)")
        #expect(output.contains("kind: ollama"))
    }

    @Test func installIsIdempotentKeepsTheConfigAndUninstalls() throws {
        let root = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let script = repository + "/deploy/install.sh"
        let arguments = ["--root", root, "--prefix", "/opt/sy", "--binary", buildDirectory + "/switchyard", "--no-systemctl"]
        let first = try runProgram(script, arguments)
        #expect(first.status == 0, "\(first.output)")
        let unit = try String(contentsOfFile: root + "/etc/systemd/system/switchyard.service", encoding: .utf8)
        #expect(unit.contains("ExecStart=/opt/sy/bin/switchyard serve"))
        #expect(FileManager.default.isExecutableFile(atPath: root + "/opt/sy/bin/switchyard"))
        #expect(FileManager.default.fileExists(atPath: root + "/usr/lib/sysusers.d/switchyard.conf"))
        #expect(FileManager.default.fileExists(atPath: root + "/etc/systemd/system/switchyard.socket"))
        try "# edited by the operator\n".write(toFile: root + "/etc/switchyard/switchyard.yaml", atomically: true, encoding: .utf8)

        let second = try runProgram(script, arguments)
        #expect(second.status == 0, "\(second.output)")
        #expect(try String(contentsOfFile: root + "/etc/switchyard/switchyard.yaml", encoding: .utf8) == "# edited by the operator\n")
        #expect(try String(contentsOfFile: root + "/etc/systemd/system/switchyard.service", encoding: .utf8) == unit)

        let removed = try runProgram(script, arguments + ["--uninstall"])
        #expect(removed.status == 0, "\(removed.output)")
        #expect(!FileManager.default.fileExists(atPath: root + "/opt/sy/bin/switchyard"))
        #expect(!FileManager.default.fileExists(atPath: root + "/etc/systemd/system/switchyard.service"))
        #expect(FileManager.default.fileExists(atPath: root + "/etc/switchyard/switchyard.yaml"))
    }
}
