import CLibFuzzer
import Foundation

// `switchyard-fuzz <harness> [libFuzzer options] [corpus dirs]` (see `make fuzz`). Built with
// libFuzzer linked in, it fuzzes; built plainly, it replays the files and directories given.
let arguments = CommandLine.arguments
guard arguments.count >= 2, let harness = Harness.named(arguments[1]) else {
    FileHandle.standardError.write(Data("usage: switchyard-fuzz <\(Harness.all.map(\.name).joined(separator: "|"))> [libFuzzer options] [corpus ...]\n".utf8))
    exit(2)
}
Harness.selected = harness

// libFuzzer sees the program name and the arguments after the harness's name.
var argc = CommandLine.argc - 1
var argv = [CommandLine.unsafeArgv[0]] + (2..<Int(CommandLine.argc)).map { CommandLine.unsafeArgv[$0] } + [nil]
let status = argv.withUnsafeMutableBufferPointer { buffer -> Int32 in
    var pointer = buffer.baseAddress
    return switchyard_fuzz_run(&argc, &pointer) { data, size in
        Harness.selected.run(size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size)))
        return 0
    }
}
guard status == -1 else { exit(status) }

// No libFuzzer: run every file named (or in a directory named) once.
var ran = 0
for path in arguments.dropFirst(2) where !path.hasPrefix("-") {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { continue }
    let files = isDirectory.boolValue
        ? (try FileManager.default.contentsOfDirectory(atPath: path)).sorted().map { path + "/" + $0 }
        : [path]
    for file in files {
        guard let data = FileManager.default.contents(atPath: file) else { continue }
        harness.run(Array(data))
        ran += 1
    }
}
print("\(harness.name): replayed \(ran) inputs, no invariant broken")
