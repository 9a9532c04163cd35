import SwitchyardCore

extension ConfigDecoder {
    /// `routing:` — how targets are judged and ranked; every key optional, defaults from Core.
    func decodeRouting(_ cursor: YAMLCursor) throws -> RoutingSettings {
        let map = try cursor.mapping(allowedKeys: [
            "stability_margin", "spread_period", "price_tie_break", "success_half_life", "report_weight", "ejection",
        ])
        var routing = RoutingSettings()
        if let c = map.optional("stability_margin") { routing.scoring.stabilityMargin = try c.fraction() }
        if let c = map.optional("spread_period") { routing.scoring.spreadPeriodSeconds = try c.duration() }
        if let c = map.optional("price_tie_break") { routing.scoring.priceTieBreak = try c.fraction() }
        if let c = map.optional("success_half_life") { routing.scoring.successHalfLifeSeconds = try c.duration() }
        if let c = map.optional("report_weight") {
            let weight = try c.nonNegativeDouble()
            guard weight > 0 else { throw c.error("\(c.path) must be greater than 0") }
            routing.scoring.reportWeight = weight
        }
        if let c = map.optional("ejection") { routing.health = try decodeEjection(c) }
        return routing
    }

    private func decodeEjection(_ cursor: YAMLCursor) throws -> HealthPolicy {
        let map = try cursor.mapping(allowedKeys: [
            "consecutive_failures", "failure_ratio", "minimum_volume", "base_duration", "max_duration", "recover_after",
        ])
        var health = HealthPolicy()
        if let c = map.optional("consecutive_failures") { health.consecutiveFailuresToEject = try c.positiveInt() }
        if let c = map.optional("failure_ratio") { health.failureRatioToEject = try c.fraction() }
        if let c = map.optional("minimum_volume") { health.minimumVolume = try c.nonNegativeDouble() }
        if let c = map.optional("base_duration") { health.baseEjectionSeconds = try c.duration() }
        if let c = map.optional("max_duration") { health.maxEjectionSeconds = try c.duration() }
        if let c = map.optional("recover_after") { health.successesToRecover = try c.positiveInt() }
        if health.maxEjectionSeconds < health.baseEjectionSeconds {
            throw (map.keyCursor("max_duration") ?? cursor).error("\(cursor.path).max_duration is shorter than base_duration")
        }
        return health
    }
}
