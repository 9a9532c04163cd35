import Foundation
import Testing

/// The fuzz harnesses' seed corpus and every crash turned regression input (`fuzz/corpus/<name>`)
/// replayed through a plain build of `switchyard-fuzz`: each input still satisfies its harness's invariants.
@Suite(.timeLimit(.minutes(2))) struct FuzzCorpusTests {
    static let harnesses = ["config", "sse", "ndjson", "model-list", "catalog", "reports", "query", "block", "retry-after"]

    @Test(arguments: harnesses) func corpusReplaysCleanly(_ harness: String) throws {
        let corpus = packageRoot() + "/fuzz/corpus/" + harness
        let inputs = try FileManager.default.contentsOfDirectory(atPath: corpus).count
        #expect(inputs > 0)
        let (status, output) = try runProgram(buildDirectory + "/switchyard-fuzz", [harness, corpus])
        #expect(status == 0, "\(output)")
        #expect(output.contains("\(harness): replayed \(inputs) inputs, no invariant broken"), "\(output)")
    }
}
