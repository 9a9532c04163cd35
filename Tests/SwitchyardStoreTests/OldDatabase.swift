import GRDB
@testable import SwitchyardStore

/// Writes a database at `path` as the migrations up to `version` left it, with target 1
/// (`p`/`m`) and what `fill` adds in the same transaction; closed again when this returns, so the
/// test then opens it with the current store. Returns what `fill` returns.
@discardableResult
func writeOldDatabase<Value>(at path: String, upTo version: String, _ fill: (Database) throws -> Value) throws -> Value {
    let old = try DatabaseQueue(path: path)
    try SchemaMigrations.migrator.migrate(old, upTo: version)
    return try old.write { db in
        try db.execute(sql: "INSERT INTO targets (id, provider, model) VALUES (1, 'p', 'm')")
        return try fill(db)
    }
}
