import SwitchyardCore

/// What a hedge race needs of the forwarder: starting an attempt beside the first, reporting a
/// canceled loser, classifying a head.
extension GatewayForwarder {
    /// Sends the request to the candidate at `index` (one whose target has an upstream).
    func send(_ index: Int, secondsLeft: Double) -> RunningAttempt? {
        let candidate = request.candidates[index]
        let target = Target(provider: candidate.provider, model: request.selection.model)
        guard let upstream = configuration.upstreams[target] else { return nil }
        let attempt = Attempt(target: target, startedAt: deps.clock.now(), started: .now)
        var headers = [request.streaming ? "Accept: text/event-stream" : endpoint.answersWithBinary ? "Accept: */*" : "Accept: application/json"]
        headers.append("Content-Type: \(request.body.contentType ?? "application/json")")  // a form says its boundary
        if let key = upstream.apiKey { headers.append("Authorization: Bearer \(key.exposedValue)") }
        let response = gateway.transport.send(UpstreamRequest(
            url: upstream.baseURL + endpoint.upstreamPath, headers: headers, body: request.upstreamBody(for: candidate),
            connectTimeoutSeconds: upstream.connectTimeoutSeconds,
            idleTimeoutSeconds: upstream.attemptTimeoutSeconds ?? request.policy.attemptTimeoutSeconds,
            totalTimeoutSeconds: max(0.001, secondsLeft)
        ))
        return RunningAttempt(index: index, candidate: candidate, attempt: attempt, response: response)
    }

    /// Reports an attempt canceled because the other one of a hedge race answered first:
    /// `canceled`, which counts against no provider's health.
    func reportCanceled(_ attempt: Attempt) {
        gateway.metrics.attempt(ErrorClass.canceled.rawValue)
        var observation = Observation(target: attempt.target, source: .report, startedAt: attempt.startedAt, outcome: .failure(.canceled),
                                      totalSeconds: Self.seconds(.now - attempt.started),
                                      message: "gateway: canceled, another attempt of a hedged request answered first")
        observation.reporter = caller.label
        deps.deliver(observation)
    }

    /// How an attempt's head ended, for the policy.
    static func outcome(of head: Result<UpstreamHead, UpstreamFailure>) -> AttemptOutcome {
        switch head {
        case .success(let head): (200..<300).contains(head.status) ? .answered : .status(head.status)
        case .failure(.connect): .connectFailed
        case .failure(.timeout): .timedOut
        case .failure: .garbage
        }
    }
}
