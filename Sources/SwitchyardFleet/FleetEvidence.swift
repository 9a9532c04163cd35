import PostgresNIO
import SwitchyardCore

/// One shared observation as a row of `fleet_evidence`: what a host saw of a target, when, and
/// how it went. Written from an `Observation` by the publisher, read back into one by peers.
/// Only what health and scoring use travels; costs, messages and phases stay on the host.
public struct FleetEvidence: Hashable, Sendable {
    /// The row's place in the shared sequence (0 before it is written).
    public var seq: Int64 = 0
    public var host: String
    public var observation: Observation

    /// The columns a row is written with and read back in, in order.
    static let columns = "provider, model, kind, started_at, outcome, http_status, total_ms, ttft_ms, tokens_in, tokens_out, tokens_per_second, retry_at, reporter"

    public init(seq: Int64 = 0, host: String, observation: Observation) {
        self.seq = seq
        self.host = host
        self.observation = observation
    }

    /// The INSERT of `rows` for `group`, one VALUES tuple per row, every value a bind.
    static func insert(_ rows: [Observation], group: String, host: String) throws -> PostgresQuery {
        var binds = PostgresBindings(capacity: rows.count * 15)
        var tuples: [String] = []
        tuples.reserveCapacity(rows.count)
        for observation in rows {
            let first = binds.count + 1
            try binds.append(group)
            try binds.append(host)
            try binds.append(observation.target.provider.rawValue)
            try binds.append(observation.target.model.rawValue)
            try binds.append(observation.source.rawValue)
            try binds.append(observation.startedAt.secondsSinceEpoch)
            try binds.append(observation.outcome.label)
            try binds.append(observation.httpStatus)
            try binds.append(observation.totalSeconds * 1000)
            try binds.append(observation.ttftSeconds.map { $0 * 1000 })
            try binds.append(observation.tokensIn)
            try binds.append(observation.tokensOut)
            try binds.append(observation.tokensPerSecond)
            try binds.append(observation.retryAt?.secondsSinceEpoch)
            try binds.append(observation.reporter)
            tuples.append("(" + (first..<(first + 15)).map { "$\($0)" }.joined(separator: ", ") + ")")
        }
        let sql = "INSERT INTO fleet_evidence (fleet_group, host, \(columns)) VALUES " + tuples.joined(separator: ", ")
        return PostgresQuery(unsafeSQL: sql, binds: binds)
    }

    /// Why a peer's row could not be used.
    public struct Undecodable: Error, CustomStringConvertible {
        public var description: String
    }

    /// Reads a row of `seq, host, <columns>`; throws `Undecodable` for a row this build cannot use.
    static func decode(_ row: PostgresRow) throws -> FleetEvidence {
        let cells = row.makeRandomAccess()
        let seq = try cells[0].decode(Int64.self)
        do {
            let host = try cells[1].decode(String.self)
            let kindText = try cells[4].decode(String.self)
            let outcomeText = try cells[6].decode(String.self)
            guard let kind = ObservationSource(rawValue: kindText) else { throw Undecodable(description: "row \(seq): unknown kind '\(kindText.prefix(32))'") }
            guard let outcome = Outcome(label: outcomeText) else { throw Undecodable(description: "row \(seq): unknown outcome '\(outcomeText.prefix(32))'") }
            let started = try cells[5].decode(Double.self)
            let totalMs = try cells[8].decode(Double.self)
            guard started.isFinite, totalMs.isFinite, totalMs >= 0 else { throw Undecodable(description: "row \(seq): times out of range") }
            let target = Target(provider: ProviderID(try cells[2].decode(String.self)), model: ModelName(try cells[3].decode(String.self)))
            var observation = Observation(
                target: target, source: kind, startedAt: Timestamp(secondsSinceEpoch: started), outcome: outcome,
                httpStatus: try cells[7].decode(Int?.self), totalSeconds: totalMs / 1000,
                ttftSeconds: try cells[9].decode(Double?.self).map { $0 / 1000 },
                tokensIn: try cells[10].decode(Int?.self), tokensOut: try cells[11].decode(Int?.self),
                retryAt: try cells[13].decode(Double?.self).map { Timestamp(secondsSinceEpoch: $0) }
            )
            observation.tokensPerSecond = try cells[12].decode(Double?.self)
            observation.reporter = try cells[14].decode(String?.self)
            observation.seenBy = host
            return FleetEvidence(seq: seq, host: host, observation: observation)
        } catch let error as Undecodable {
            throw error
        } catch {
            throw Undecodable(description: "row \(seq): a column does not decode")
        }
    }
}
