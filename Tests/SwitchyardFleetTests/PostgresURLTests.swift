import SwitchyardConfig
import Testing
@testable import SwitchyardFleet

/// The URL from `url_env` / `url_file` / `url_credential`: parsed, TLS as asked, never echoed.
@Suite struct PostgresURLTests {
    @Test func aURLParsesWithItsTLSModeAndPrintsWithoutThePassword() throws {
        let url = try PostgresURL(parsing: "postgres://sy:S3cretPassw0rd@db.internal:6432/fleet?sslmode=verify-full&sslrootcert=/etc/ca.pem\n")
        #expect(url.host == "db.internal" && url.port == 6432 && url.user == "sy" && url.database == "fleet")
        #expect(url.password?.exposedValue == "S3cretPassw0rd")
        #expect(url.tls == .verifyFull && url.rootCertificatePath == "/etc/ca.pem")
        #expect("\(url)" == "postgres://sy@db.internal:6432/fleet (sslmode=verify-full)")
        #expect(try PostgresURL(parsing: "postgresql://sy@127.0.0.1/x?sslmode=require").tls == .require)
        #expect(try PostgresURL(parsing: "postgres://sy@127.0.0.1").database == "sy")
        #expect(try PostgresURL(parsing: "postgres://sy@127.0.0.1/x").tls == .disable)
    }

    @Test(arguments: [
        ("mysql://sy:S3cretPassw0rd@db/x", "bad fleet.postgres URL: the PostgreSQL URL must look like postgres://USER:PASSWORD@HOST:PORT/DATABASE"),
        ("postgres://:S3cretPassw0rd@db/x", "bad fleet.postgres URL: the PostgreSQL URL names no user (postgres://USER:PASSWORD@HOST/DATABASE)"),
        ("postgres://sy:S3cretPassw0rd@db/x?sslmode=always", "bad fleet.postgres URL: sslmode 'always' is not one of disable, allow, prefer, require, verify-ca, verify-full"),
        ("postgres://sy:S3cretPassw0rd@db/x?password=S3cretPassw0rd", "bad fleet.postgres URL: the PostgreSQL URL's parameter 'password' is not supported (sslmode, sslrootcert)"),
    ])
    func aBadURLSaysWhatIsWrongWithoutQuotingIt(text: String, message: String) {
        let error = #expect(throws: FleetError.self) { try PostgresURL(parsing: text) }
        #expect(error?.description == message)
        #expect(error?.description.contains("S3cretPassw0rd") == false)
    }
}
