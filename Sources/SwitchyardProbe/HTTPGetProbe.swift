import SwitchyardCore

/// The generic `http` kind: `GET {base_url}` must answer 2xx.
struct HTTPGetProbe: Prober {
    func probe(_ target: ProbeTarget, using transport: any HTTPTransport, now: Timestamp) async -> ProbeResult {
        let request = HTTPRequest(
            url: target.baseURL, headers: target.authorizationHeaders,
            connectTimeoutSeconds: target.settings.connectTimeoutSeconds, timeoutSeconds: target.settings.timeoutSeconds
        )
        let result = await transport.perform(request)
        if let failure = ResponseClassifier.httpFailure(result, now: now) { return failure }
        return ProbeResult(outcome: .ok, httpStatus: result.status, timings: result.timings)
    }
}
