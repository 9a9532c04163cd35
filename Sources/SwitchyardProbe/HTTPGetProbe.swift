import SwitchyardCore

/// The generic `http` kind: `GET {base_url}` must answer one of `expected_status`
/// (any 2xx when none is configured). The body is not read beyond the size cap.
struct HTTPGetProbe: Prober {
    func probe(_ target: ProbeTarget, using transport: any HTTPTransport, now: Timestamp) async -> ProbeResult {
        let result = await transport.perform(target.get(target.baseURL))
        if let (errorClass, message) = ResponseClassifier.classify(result) {
            return ProbeResult(outcome: .failure(errorClass), httpStatus: result.status == 0 ? nil : result.status, timings: result.timings, message: message)
        }
        let expected = target.settings.expectedStatus
        let accepted = expected.isEmpty ? (200..<300).contains(result.status) : expected.contains(result.status)
        if accepted { return ProbeResult(outcome: .ok, httpStatus: result.status, timings: result.timings) }
        let errorClass = result.status == 404 ? .badResponse : (ErrorClass(httpStatus: result.status) ?? .badResponse)
        return ProbeResult(
            outcome: .failure(errorClass), httpStatus: result.status, timings: result.timings,
            retryAfterSeconds: RetryAfter.seconds(result.headers, now: now),
            message: "HTTP \(result.status), expected \(expected.isEmpty ? "2xx" : expected.map(String.init).joined(separator: " or "))"
        )
    }
}
