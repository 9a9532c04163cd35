import SwitchyardCore

extension ConfigDecoder {
    /// `admin: { token_env | token_file | token_credential }`: the bearer token for admin routes over TCP.
    func decodeAdmin(_ cursor: YAMLCursor) throws -> AdminSettings {
        let map = try cursor.mapping(allowedKeys: ["token", "token_env", "token_file", "token_credential"])
        if let inline = map.keyCursor("token") {
            throw inline.error(
                "admin: an inline token is not allowed; put it in an environment variable and set token_env: NAME, or use token_file: PATH or token_credential: NAME (systemd LoadCredential=)"
            )
        }
        return AdminSettings(token: try decodeSecretReference(map, prefix: "token", owner: "admin"))
    }
}
