import Foundation
import GRDB

/// The gateway's SQLite database: one file in WAL mode, migrated on open.
public final class GatewayDatabase: Sendable {
    public enum OpenError: Error, CustomStringConvertible {
        case cannotCreateFolder(String, String)
        case cannotOpen(String, String)
        case cannotMigrate(String, String)

        public var description: String {
            switch self {
            case .cannotCreateFolder(let path, let reason): "cannot create the folder for \(path): \(reason)"
            case .cannotOpen(let path, let reason): "cannot open the database \(path): \(reason)"
            case .cannotMigrate(let path, let reason): "cannot migrate the database \(path): \(reason)"
            }
        }
    }

    let pool: DatabasePool

    /// Opens (creating its folder and file when needed) and migrates the database at `path`.
    public init(path: String) throws(OpenError) {
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw .cannotCreateFolder(path, "\(error.localizedDescription)")
        }
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
        } catch {
            throw .cannotOpen(path, "\(error)")
        }
        do {
            try Migrations.migrator.migrate(pool)
        } catch {
            throw .cannotMigrate(path, "\(error)")
        }
    }
}
