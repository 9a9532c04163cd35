import Synchronization
import SwitchyardServer

/// `POST /v1/reports` bodies: a 400 with a known code, or one result per item with the counts
/// adding up and exactly the accepted items delivered.
enum ReportsHarness {
    private static let delivered = Atomic<Int>(0)
    private static let deps = APIInputParsing.dependencies { _ in delivered.add(1, ordering: .relaxed) }

    static func run(_ body: [UInt8]) {
        let before = delivered.load(ordering: .relaxed)
        do {
            let answer = try APIInputParsing.reports(body: body, deps)
            require(answer.accepted + answer.rejected == answer.results, "counts \(answer) do not add up")
            require(delivered.load(ordering: .relaxed) - before == answer.accepted, "delivered other than the accepted reports")
        } catch let error as APIError {
            require(error.status == .badRequest && ["bad_body", "too_many_reports", "bad_batch_id"].contains(error.code), "unexpected error \(error)")
            require(delivered.load(ordering: .relaxed) == before, "a refused batch delivered reports")
        } catch {
            fatalError("invariant broken: a non-API error would answer 500: \(error)")
        }
    }
}
