import Hummingbird
import SwitchyardServer

/// Query strings of `/v1/route`, `/v1/history` and `/v1/events` (the first byte picks one):
/// the handler answers 200, or a 400/404 JSON error that names what is wrong; never a 500.
enum QueryHarness {
    private static let deps = APIInputParsing.dependencies()

    static func run(_ input: [UInt8]) {
        guard let first = input.first else { return }
        let query = String(decoding: input.dropFirst(), as: UTF8.self)
        do {
            let response: Response
            switch first % 3 {
            case 0: response = try APIInputParsing.route(query: query, deps)
            case 1: response = try APIInputParsing.history(query: query, deps)
            default: response = try APIInputParsing.events(query: query, deps)
            }
            require(response.status == .ok, "answered \(response.status)")
        } catch let error as APIError {
            require([.badRequest, .notFound].contains(error.status), "answered \(error.status) for ?\(query)")
            require(!error.code.isEmpty && !error.message.isEmpty, "an error without code or message")
        } catch {
            fatalError("invariant broken: a non-API error would answer 500 for ?\(query): \(error)")
        }
    }
}
