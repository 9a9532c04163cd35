import Foundation
import SwitchyardFleetLoad

// switchyard-fleet-load [--hosts N] [--targets N] [--duration SECONDS] [--sample SECONDS] [--retention SECONDS] [--csv PATH]
// The fleet's PostgreSQL under 10 simulated hosts (README "Fleet load: how far one PostgreSQL goes").
var run = LoadRun()
var arguments = CommandLine.arguments.dropFirst().makeIterator()
@MainActor func number(_ flag: String) -> Double {
    guard let text = arguments.next(), let value = Double(text) else {
        FileHandle.standardError.write(Data("\(flag) needs a number\n".utf8))
        exit(2)
    }
    return value
}
while let flag = arguments.next() {
    switch flag {
    case "--hosts": run.hosts = Int(number(flag))
    case "--targets": run.shape.targets = Int(number(flag))
    case "--duration": run.durationSeconds = number(flag)
    case "--sample": run.sampleSeconds = number(flag)
    case "--retention": run.retentionSeconds = number(flag)
    case "--reports": run.shape.reportsPerSecond = number(flag)
    case "--csv":
        guard let path = arguments.next() else { exit(2) }
        run.csvPath = path
    default:
        FileHandle.standardError.write(Data("unknown option \(flag)\n".utf8))
        exit(2)
    }
}
do {
    try await run.run()
} catch {
    FileHandle.standardError.write(Data("fleet load failed: \(error)\n".utf8))
    exit(1)
}
