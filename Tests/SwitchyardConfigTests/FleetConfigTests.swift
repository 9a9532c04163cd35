import SwitchyardConfig
import SwitchyardCore
import Testing

private let provider = #"providers: [{ name: p, kind: openai, base_url: "http://127.0.0.1:8000/v1", models: [{ name: m }] }]"#

/// `fleet:`: opt-in, defaults in one place, the URL only by reference, errors pinned to file:line:column.
@Suite struct FleetConfigTests {
    @Test func fleetIsOffWithoutTheSectionAndTakesItsDefaults() throws {
        #expect(try ConfigLoader.parse(yaml: provider, file: "f.yaml").fleet == nil)
        let config = try ConfigLoader.parse(yaml: "fleet: { postgres: { url_env: SWITCHYARD_PG_URL } }\n" + provider, file: "f.yaml")
        let fleet = try #require(config.fleet)
        #expect(fleet.postgres == .environment("SWITCHYARD_PG_URL"))
        #expect(fleet.host == FleetSettings.localHostName)
        #expect(fleet.group == "default")
        #expect(fleet.remoteWeight == 1)
        #expect(fleet.retentionSeconds == 3600)
    }

    @Test func everyKeyParsesAndCheckConfigPrintsItBack() throws {
        let yaml = """
            fleet:
              postgres: { url_file: /etc/switchyard/pg-url }
              host: web-01
              group: eu-west
              remote_weight: 0.5
              retention: 30m
            \(provider)
            """
        let config = try ConfigLoader.parse(yaml: yaml, file: "f.yaml")
        #expect(config.fleet == FleetSettings(postgres: .file("/etc/switchyard/pg-url"), host: "web-01", group: "eu-west",
                                              remoteWeight: 0.5, retentionSeconds: 1800))
        let rendered = ConfigRenderer.render(config)
        #expect(rendered.contains(#"fleet: { postgres: { url_file: /etc/switchyard/pg-url }, host: "web-01", group: "eu-west", remote_weight: 0.5, retention: 30m }"#))
        #expect(try ConfigLoader.parse(yaml: rendered, file: "f.yaml").fleet == config.fleet)
        let credential = try ConfigLoader.parse(yaml: "fleet: { postgres: { url_credential: pg-url } }\n" + provider, file: "f.yaml")
        #expect(credential.fleet?.postgres == .credential("pg-url"))
    }

    @Test(arguments: [
        ("fleet: { postgres: { url: \"postgres://sy:Hunter2pass@db:5432/sy\" } }\n", 1, 22,
         "fleet.postgres: an inline url is not allowed (it would carry the database password); put it in an environment variable and set url_env: NAME, or use url_file: PATH or url_credential: NAME (systemd LoadCredential=)"),
        ("fleet: { postgres: {} }\n", 1, 20, "fleet.postgres needs the database URL's source: url_env: NAME, url_file: PATH or url_credential: NAME"),
        ("fleet: { host: a }\n", 1, 8, "fleet is missing required key 'postgres'"),
        ("fleet: { postgres: { url_env: A, url_file: /a } }\n", 1, 34, "fleet.postgres: set only one of url_env, url_file, url_credential"),
        ("fleet: { postgres: { url_env: A }, remote_weight: 2 }\n", 1, 51, "fleet.remote_weight: '2' is not a share between 0 and 1 (e.g. 10% or 0.1)"),
        ("fleet: { postgres: { url_env: A }, retention: soon }\n", 1, 47, "fleet.retention: 'soon' is not a duration (use e.g. 500ms, 15s, 2m, 1h)"),
        ("fleet: { postgres: { url_env: A }, group: \"a b\" }\n", 1, 43, "fleet.group may only contain letters, digits, '-', '_' and '.' (at most 64)"),
        ("fleet: { postgres: { url_env: A }, hosts: x }\n", 1, 36, "unknown key 'hosts' in fleet (known keys: group, host, postgres, remote_weight, retention)"),
    ])
    func invalidFleetSectionsArePinnedToTheirPlace(yaml: String, line: Int, column: Int, message: String) throws {
        let error = try #require(throws: ConfigError.self) { try ConfigLoader.parse(yaml: yaml + provider, file: "f.yaml") }
        #expect(error.description == "f.yaml:\(line):\(column): \(message)")
        #expect(!error.description.contains("Hunter2pass"))
    }
}
