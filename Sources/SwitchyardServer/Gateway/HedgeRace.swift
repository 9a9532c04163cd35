import Synchronization
import SwitchyardCore

/// One upstream attempt on its way: the candidate, when it started, its answer.
struct RunningAttempt: Sendable {
    /// The candidate's index in the plan.
    var index: Int
    var candidate: RouteCandidate
    var attempt: GatewayForwarder.Attempt
    var response: any UpstreamResponse
}

/// Hedging of a request's first attempt (`hedge: { after: p95, max_extra: 5% }`): waits for
/// its head (and, for a 2xx, its first body byte) until the hedge instant, then, when the
/// policy has a next candidate and the target's budget a credit, starts that candidate too.
/// The first attempt whose answer is the caller's (a success, or an error that is the
/// request's own) wins and the other is canceled at once; a failure of one while the other
/// still runs is reported and the other is awaited (failover, not an error).
///
/// The canceled loser is reported as what it is, a `canceled` attempt (history, SQLite,
/// `switchyard_gateway_attempts_total{outcome="canceled"}`), which counts against no
/// provider's health: it did not fail, it was only slower. A first attempt canceled this
/// way enters the hedge book's times at the moment it was canceled.
struct HedgeRace {
    let forwarder: GatewayForwarder
    let settings: HedgeSettings
    let deadline: ContinuousClock.Instant

    /// What the race settled on: the answer to deliver, or the last failure (its `index`
    /// is the highest candidate tried, so failover goes on after it).
    struct Settled {
        var running: RunningAttempt
        var head: Result<UpstreamHead, UpstreamFailure>
        /// Hedges started: 0 or 1.
        var hedges: Int
        /// Failed attempts already reported during the race, for the final error message.
        var failures: [String]
    }

    private enum Event: Sendable {
        case ready(slot: Int, Result<UpstreamHead, UpstreamFailure>, first: [UInt8]?)
        case hedgeDue
        case timerCanceled
    }

    func run(_ first: RunningAttempt) async -> Settled {
        let gateway = forwarder.gateway
        let target = first.attempt.target
        let delay = gateway.hedges.admit(target, settings)
        let live = LiveResponses(first.response)
        return await withTaskCancellationHandler {
            await withTaskGroup(of: Event.self) { group in
                group.addTask { await Self.ready(slot: 0, first.response) }
                if let delay {
                    group.addTask {
                        do {
                            try await Task.sleep(until: first.attempt.started + .microseconds(Int64(delay * 1_000_000)), clock: .continuous)
                            return .hedgeDue
                        } catch {
                            return .timerCanceled
                        }
                    }
                }
                var running = [first]
                var pending = 1
                var failures: [String] = []
                while let event = await group.next() {
                    switch event {
                    case .timerCanceled:
                        continue
                    case .hedgeDue:
                        guard let hedge = startHedge(after: first) else { continue }
                        running.append(hedge)
                        pending += 1
                        live.add(hedge.response)
                        group.addTask { await Self.ready(slot: 1, hedge.response) }
                    case .ready(let slot, let head, let firstChunk):
                        pending -= 1
                        let settled = running[slot]
                        let outcome = GatewayForwarder.outcome(of: head)
                        if slot == 0, outcome == .answered {
                            gateway.hedges.record(target, firstByteSeconds: GatewayForwarder.seconds(.now - first.attempt.started))
                        }
                        let decision = forwarder.request.policy.decide(after: outcome, attempt: settled.index,
                                                                        secondsLeft: GatewayForwarder.seconds(deadline - .now))
                        if decision == .deliver || head.failure == .canceled || pending == 0 {
                            group.cancelAll()
                            if decision == .deliver { cancelLosers(running, winner: slot, first: first) }
                            if head.failure == .canceled { live.cancelAll() }
                            var answer = settled
                            answer.index = running.map(\.index).max() ?? settled.index
                            if decision == .deliver, case .success(let head) = head, outcome == .answered {
                                answer.response = PrefetchedResponse(settled.response, head: head, first: firstChunk)
                            }
                            return Settled(running: answer, head: head, hedges: running.count - 1, failures: failures)
                        }
                        // This one failed while the other still runs: report it and wait for the other.
                        settled.response.cancel()
                        forwarder.report(settled.attempt, outcome: outcome, status: head.status, ttft: nil, usage: nil,
                                         retryAfter: head.retryAfterSeconds(now: forwarder.deps.clock.now()))
                        failures.append("\(settled.candidate.provider): \(GatewayForwarder.describe(outcome))")
                    }
                }
                return Settled(running: first, head: .failure(.canceled), hedges: running.count - 1, failures: failures)
            }
        } onCancel: {
            live.cancelAll()
        }
    }

    /// Starts the policy's next candidate beside `first`, when there is one and the budget allows.
    private func startHedge(after first: RunningAttempt) -> RunningAttempt? {
        let gateway = forwarder.gateway
        let secondsLeft = GatewayForwarder.seconds(deadline - .now)
        guard case .tryNext(let next) = forwarder.request.policy.decide(after: .timedOut, attempt: first.index, secondsLeft: secondsLeft),
              forwarder.configuration.upstreams[Target(provider: forwarder.request.candidates[next].provider, model: first.attempt.target.model)] != nil
        else { return nil }
        guard gateway.hedges.spend(first.attempt.target) else {
            gateway.metrics.hedge(.noBudget)
            return nil
        }
        gateway.metrics.hedge(.started)
        gateway.traffic.hedge(first.attempt.target.model)
        return forwarder.send(next, secondsLeft: secondsLeft)
    }

    /// Cancels every attempt but the winner's; a canceled first attempt's time so far enters the hedge book.
    private func cancelLosers(_ running: [RunningAttempt], winner: Int, first: RunningAttempt) {
        let gateway = forwarder.gateway
        for (slot, loser) in running.enumerated() where slot != winner {
            loser.response.cancel()
            forwarder.reportCanceled(loser.attempt)
            if slot == 0 { gateway.hedges.record(first.attempt.target, firstByteSeconds: GatewayForwarder.seconds(.now - first.attempt.started)) }
        }
        guard running.count > 1 else { return }
        gateway.metrics.hedge(winner == 0 ? .firstWon : .hedgeWon)
        if winner > 0 { gateway.traffic.hedgeWon(first.attempt.target.model) }
    }

    /// Waits for an attempt's head and, for a 2xx, its first body chunk (nil: the body was empty).
    private static func ready(slot: Int, _ response: any UpstreamResponse) async -> Event {
        let head = await response.head()
        guard case .success(let value) = head, (200..<300).contains(value.status) else { return .ready(slot: slot, head, first: nil) }
        return .ready(slot: slot, head, first: await response.next())
    }
}

/// The responses of a race, so a caller that goes away cancels every one of them.
private final class LiveResponses: Sendable {
    private let state: Mutex<(responses: [any UpstreamResponse], canceled: Bool)>

    init(_ first: any UpstreamResponse) { state = Mutex(([first], false)) }

    func add(_ response: any UpstreamResponse) {
        let canceled = state.withLock { state -> Bool in
            state.responses.append(response)
            return state.canceled
        }
        if canceled { response.cancel() }
    }

    func cancelAll() {
        let responses = state.withLock { state -> [any UpstreamResponse] in
            state.canceled = true
            return state.responses
        }
        for response in responses { response.cancel() }
    }
}

extension Result where Success == UpstreamHead, Failure == UpstreamFailure {
    /// The failure, or nil for a head.
    var failure: UpstreamFailure? {
        if case .failure(let failure) = self { return failure }
        return nil
    }
}
