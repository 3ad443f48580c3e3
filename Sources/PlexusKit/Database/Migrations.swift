import Crypto
import Foundation
import Logging
import PostgresNIO

/// One numbered, append-only SQL step.
public struct Migration: Sendable, Equatable {
    /// The number from the file name (`0001_CreateUsers.sql` → 1).
    public let version: Int
    /// The descriptive part of the file name.
    public let name: String
    /// The SQL, possibly several statements.
    public let sql: String

    /// Creates a migration.
    public init(version: Int, name: String, sql: String) {
        self.version = version
        self.name = name
        self.sql = sql
    }

    /// SHA-256 of the SQL, recorded so an edited, already-applied migration is detected.
    public var checksum: String {
        RandomToken.hex(SHA256.hash(data: Data(sql.utf8)))
    }
}

/// An ordered list of migrations belonging to one component (a service, or the kit's own tables).
public struct MigrationSet: Sendable {
    /// `identity`, `notification`, `kit`...
    public let component: String
    /// Migrations in version order.
    public let migrations: [Migration]

    /// Creates a set; migrations are sorted by version and versions must be unique.
    public init(component: String, migrations: [Migration]) {
        self.component = component
        self.migrations = migrations.sorted { $0.version < $1.version }
        precondition(Set(migrations.map(\.version)).count == migrations.count, "duplicate migration versions in \(component)")
    }

    /// Loads every `NNNN_Name.sql` file in `directory`.
    public static func load(component: String, directory: URL) throws -> MigrationSet {
        let files = try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "sql" }
        let migrations = try files.map { url -> Migration in
            let base = url.deletingPathExtension().lastPathComponent
            let parts = base.split(separator: "_", maxSplits: 1)
            guard let version = parts.first.flatMap({ Int($0) }) else {
                throw MigrationError.badFileName(base)
            }
            return Migration(version: version, name: parts.count > 1 ? String(parts[1]) : base,
                             sql: try String(contentsOf: url, encoding: .utf8))
        }
        return MigrationSet(component: component, migrations: migrations)
    }
}

extension MigrationSet {
    /// The kit's tables followed by a service's own migrations from the `Migrations` folder of its
    /// resource bundle: what every service applies, in order.
    public static func service(_ component: String, bundle: Bundle) throws -> [MigrationSet] {
        guard let directory = bundle.url(forResource: "Migrations", withExtension: nil) else {
            throw MigrationError.badFileName("the Migrations resource of \(component) is missing")
        }
        return [KitMigrations.set, try MigrationSet.load(component: component, directory: directory)]
    }
}

/// Migration failures.
public enum MigrationError: Error, CustomStringConvertible {
    /// A file name without a leading number.
    case badFileName(String)
    /// A shipped migration was edited after it was applied.
    case checksumMismatch(component: String, version: Int)

    /// A readable description.
    public var description: String {
        switch self {
        case .badFileName(let name): "migration file \(name) must start with a number, e.g. 0001_CreateUsers.sql"
        case .checksumMismatch(let component, let version):
            "migration \(component)/\(version) changed after it was applied; migrations are append-only, add a new one instead"
        }
    }
}

/// Applies migration sets under a Postgres advisory lock, recording each in `schema_migrations`.
public enum MigrationRunner {
    static let lockKey: Int64 = 0x706C_6578_7573 // "plexus"

    /// Applies every pending migration of `sets` in order; returns how many were applied.
    @discardableResult
    public static func migrate(_ sets: [MigrationSet], client: DatabaseClient, logger: Logger) async throws -> Int {
        // No call deadline: a migration may rightly take long (statements still have the server's timeout).
        try await client.pool.withConnection { connection in
            try await connection.query("SELECT pg_advisory_lock(\(lockKey))", logger: logger)
            do {
                let applied = try await apply(sets, on: connection, logger: logger)
                try await connection.query("SELECT pg_advisory_unlock(\(lockKey))", logger: logger)
                return applied
            } catch {
                _ = try? await connection.query("ROLLBACK", logger: logger)
                _ = try? await connection.query("SELECT pg_advisory_unlock(\(lockKey))", logger: logger)
                throw error
            }
        }
    }

    static func apply(_ sets: [MigrationSet], on connection: PostgresConnection, logger: Logger) async throws -> Int {
        try await connection.query("""
            CREATE TABLE IF NOT EXISTS schema_migrations (
                component text NOT NULL, version int NOT NULL, name text NOT NULL, checksum text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (component, version))
            """, logger: logger)
        var count = 0
        for set in sets {
            var done: [Int: String] = [:]
            let rows = try await connection.query("SELECT version, checksum FROM schema_migrations WHERE component = \(set.component)", logger: logger)
            for try await (version, checksum) in rows.decode((Int, String).self) { done[version] = checksum }
            for migration in set.migrations {
                if let checksum = done[migration.version] {
                    guard checksum == migration.checksum else {
                        throw MigrationError.checksumMismatch(component: set.component, version: migration.version)
                    }
                    continue
                }
                try await connection.query("BEGIN", logger: logger)
                for statement in SQLScript.statements(migration.sql) {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await connection.query("""
                    INSERT INTO schema_migrations (component, version, name, checksum)
                    VALUES (\(set.component), \(migration.version), \(migration.name), \(migration.checksum))
                    """, logger: logger)
                try await connection.query("COMMIT", logger: logger)
                logger.info("applied migration", metadata: ["component": .string(set.component), "version": "\(migration.version)", "name": .string(migration.name)])
                count += 1
            }
        }
        return count
    }

    /// `true` when every migration of `sets` is recorded as applied (used by `/health/ready`).
    public static func isUpToDate(_ sets: [MigrationSet], client: DatabaseClient, logger: Logger) async throws -> Bool {
        var applied = Set<String>()
        let rows = try await client.query("SELECT component, version FROM schema_migrations", logger: logger)
        for try await (component, version) in rows.decode((String, Int).self) { applied.insert("\(component)/\(version)") }
        return sets.allSatisfy { set in set.migrations.allSatisfy { applied.contains("\(set.component)/\($0.version)") } }
    }
}

/// Splits a SQL script into statements at top-level semicolons, respecting quotes, dollar quotes
/// and comments (the extended protocol runs one statement at a time).
public enum SQLScript {
    /// The non-empty statements of `script`, without their semicolons.
    public static func statements(_ script: String) -> [String] {
        var statements: [String] = []
        var current = ""
        let characters = Array(script)
        var index = 0
        func flush() {
            let trimmed = current.trimmingCharacters(in: .whitespacesAndNewlines)
            if !trimmed.isEmpty { statements.append(trimmed) }
            current = ""
        }
        while index < characters.count {
            let character = characters[index]
            let next: Character? = index + 1 < characters.count ? characters[index + 1] : nil
            if character == "-", next == "-" {
                while index < characters.count, characters[index] != "\n" { index += 1 }
                continue
            }
            if character == "/", next == "*" {
                index += 2
                while index + 1 < characters.count, !(characters[index] == "*" && characters[index + 1] == "/") { index += 1 }
                index += 2
                continue
            }
            if character == "'" || character == "\"" {
                current.append(character)
                index += 1
                while index < characters.count {
                    current.append(characters[index])
                    if characters[index] == character {
                        if index + 1 < characters.count, characters[index + 1] == character {
                            current.append(character)
                            index += 2
                            continue
                        }
                        break
                    }
                    index += 1
                }
                index += 1
                continue
            }
            if character == "$", let end = characters[(index + 1)...].firstIndex(of: "$"),
               characters[(index + 1)..<end].allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) {
                let tag = String(characters[index...end])
                current += tag
                index = end + 1
                let remainder = String(characters[index...])
                if let close = remainder.range(of: tag) {
                    let body = remainder[remainder.startIndex..<close.upperBound]
                    current += body
                    index += body.count
                } else {
                    current += remainder
                    index = characters.count
                }
                continue
            }
            if character == ";" {
                flush()
            } else {
                current.append(character)
            }
            index += 1
        }
        flush()
        return statements
    }
}
