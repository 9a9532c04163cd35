import Foundation
import SwitchyardProbe

/// The model-list scanner against Foundation's JSON parser: when the body is a JSON object
/// whose one `data` is an array of objects, the scanner must find a wanted `id` exactly when
/// it is there (or say it cannot tell, for ids with escapes).
enum ModelListHarness {
    private static let wanted = ["llama-3.1-8b", "gpt-4o", "m"]
    private static let dataKey = Array("\"data\"".utf8)

    static func run(_ body: [UInt8]) {
        let verdict = ProbeParsing.scanModelList(body, wanted: wanted)
        guard let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any],
              let entries = object["data"] as? [Any], entries.allSatisfy({ $0 is [String: Any] }),
              occurrences(of: dataKey, in: body) == 1 else { return }
        let ids = entries.compactMap { ($0 as? [String: Any])?["id"] as? String }
        let present = ids.contains { wanted.contains($0) }
        switch verdict {
        case .list(let containsWanted):
            require(containsWanted == present, "the scanner says \(containsWanted) for ids \(ids)")
        case .undecided:
            require(!present, "the scanner could not decide although a wanted id is plainly there: \(ids)")
        case .notAList:
            fatalError("invariant broken: the scanner refused a valid model list with ids \(ids)")
        }
    }

    private static func occurrences(of needle: [UInt8], in bytes: [UInt8]) -> Int {
        guard bytes.count >= needle.count else { return 0 }
        return (0...(bytes.count - needle.count)).count { bytes[$0..<$0 + needle.count].elementsEqual(needle) }
    }
}
