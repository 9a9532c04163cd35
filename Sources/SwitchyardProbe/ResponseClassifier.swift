import CCurl
import Foundation
import SwitchyardCore

/// Maps transport failures and HTTP statuses onto the one error taxonomy.
enum ResponseClassifier {
    /// The failure of a transfer that did not complete, or nil if it did.
    static func classify(_ result: HTTPTransferResult) -> (ErrorClass, String)? {
        switch result.failure {
        case nil:
            return nil
        case .canceled:
            return (.canceled, "probe canceled")
        case .bodyTooLarge:
            return (.bodyTooLarge, "response body larger than the limit")
        case .idle(let seconds):
            // Silence after the response began is a stalled stream; before it, a plain timeout.
            return result.timings.firstByte > 0
                ? (.streamStalled, "no data for \(formatSeconds(seconds)) after the response began")
                : (.timeout, "no response within the idle timeout (\(formatSeconds(seconds)))")
        case .curl(let code, let message):
            return (errorClass(curlCode: code, timings: result.timings), sanitize(message))
        }
    }

    static func errorClass(curlCode code: Int, timings: PhaseTimings) -> ErrorClass {
        switch CURLcode(UInt32(code)) {
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY:
            return .dns
        case CURLE_COULDNT_CONNECT:
            return .connectRefused
        case CURLE_OPERATION_TIMEDOUT:
            // No connection yet means the connect phase timed out.
            return timings.connect == 0 ? .connectTimeout : .timeout
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER,
             CURLE_SSL_CACERT_BADFILE, CURLE_SSL_ISSUER_ERROR, CURLE_SSL_PINNEDPUBKEYNOTMATCH, CURLE_SSL_INVALIDCERTSTATUS:
            return .tls
        case CURLE_ABORTED_BY_CALLBACK:
            return .canceled
        default:
            // Resets, empty replies, truncated bodies, protocol garbage.
            return .badResponse
        }
    }

    /// libcurl messages name hosts and ports, never headers; still, keep them short and single-line.
    static func sanitize(_ message: String) -> String {
        let line = message.split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
        return String(line.prefix(200))
    }

    /// The common result for a completed transfer that failed at the HTTP level.
    static func httpFailure(_ result: HTTPTransferResult, now: Timestamp) -> ProbeResult? {
        if let (errorClass, message) = classify(result) {
            return ProbeResult(outcome: .failure(errorClass), httpStatus: result.status == 0 ? nil : result.status, timings: result.timings, message: message)
        }
        guard let errorClass = ErrorClass(httpStatus: result.status) else { return nil }
        return ProbeResult(
            outcome: .failure(errorClass), httpStatus: result.status, timings: result.timings,
            retryAfterSeconds: errorClass == .rateLimited || errorClass == .serverError ? RetryAfter.seconds(result.headers, now: now) : nil,
            servedBy: result.headers["x-inference-provider"],
            message: "HTTP \(result.status)"
        )
    }
}

/// `1.5s`, `10s`: a duration for a message.
func formatSeconds(_ seconds: Double) -> String {
    seconds == seconds.rounded() ? "\(Int(seconds))s" : "\(seconds)s"
}
