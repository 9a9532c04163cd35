extension ConfigDecoder {
    /// `fleet:` — the PostgreSQL reference (never an inline URL), this host's name, its group,
    /// the weight of remote evidence and the retention of shared rows.
    func decodeFleet(_ cursor: YAMLCursor) throws -> FleetSettings {
        let map = try cursor.mapping(allowedKeys: ["postgres", "host", "group", "remote_weight", "retention"])
        let postgresCursor = try map.required("postgres")
        let postgres = try postgresCursor.mapping(allowedKeys: ["url", "url_env", "url_file", "url_credential"])
        if let inline = postgres.keyCursor("url") {
            throw inline.error(
                "fleet.postgres: an inline url is not allowed (it would carry the database password); put it in an environment variable and set url_env: NAME, or use url_file: PATH or url_credential: NAME (systemd LoadCredential=)"
            )
        }
        guard let reference = try decodeSecretReference(postgres, prefix: "url", owner: "fleet.postgres") else {
            throw postgresCursor.error("fleet.postgres needs the database URL's source: url_env: NAME, url_file: PATH or url_credential: NAME")
        }
        var fleet = FleetSettings(postgres: reference)
        if let c = map.optional("host") { fleet.host = try fleetName(c) }
        if let c = map.optional("group") { fleet.group = try fleetName(c) }
        if let c = map.optional("remote_weight") { fleet.remoteWeight = try c.fraction() }
        if let c = map.optional("retention") { fleet.retentionSeconds = try c.duration() }
        return fleet
    }

    /// A host or group name: letters, digits, '-', '_' and '.', at most 64.
    private func fleetName(_ cursor: YAMLCursor) throws -> String {
        let name = try cursor.nonEmptyString()
        guard name.count <= 64, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }) else {
            throw cursor.error("\(cursor.path) may only contain letters, digits, '-', '_' and '.' (at most 64)")
        }
        return name
    }
}
