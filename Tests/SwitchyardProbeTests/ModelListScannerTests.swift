@testable import SwitchyardProbe
import Testing

@Suite struct ModelListScannerTests {
    private func scan(_ json: String, _ wanted: String = "m1") -> ModelListScanner.Answer {
        ModelListScanner.scan(Array(json.utf8), wanted: [wanted])
    }

    @Test(arguments: [
        (#"{"object":"list","data":[{"id":"m0","object":"model"},{"id":"m1","object":"model"}]}"#, ModelListScanner.Answer.list(containsWanted: true)),
        (" {\n \"data\" : [ { \"id\" : \"m1\" } ] } \n", .list(containsWanted: true)),
        (#"{"data":[{"id":"m0","permission":[{"id":"m1"}]}]}"#, .list(containsWanted: false)),
        (#"{"data":[{"name":"m1","id":"m2"}]}"#, .list(containsWanted: false)),
        (#"{"data":[],"id":"m1"}"#, .list(containsWanted: false)),
        (#"{"data":[{"id":"m\"1"}]}"#, .undecided),
        (#"{"data":[{"id":"m1"}]"#, .notAList),
        (#"{"choices": [tru"#, .notAList),
        (#"{"models":[{"id":"m1"}]}"#, .notAList),
        (#"[{"id":"m1"}]"#, .notAList),
        (#"{"data":[{"id":"m1"}]} trailing"#, .notAList),
        ("", .notAList),
    ])
    func answers(json: String, expected: ModelListScanner.Answer) {
        #expect(scan(json) == expected)
    }

    @Test func findsAnIdAmongHundredsAndBracketsInsideStringsDoNotConfuseIt() {
        let entries = (0..<500).map { #"{"id":"model-\#($0)","owned_by":"org [x] {y}"}"# }.joined(separator: ",")
        let body = #"{"object":"list","data":[\#(entries)]}"#
        #expect(scan(body, "model-499") == .list(containsWanted: true))
        #expect(scan(body, "model-500") == .list(containsWanted: false))
    }
}
