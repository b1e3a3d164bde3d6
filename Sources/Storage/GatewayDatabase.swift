import Foundation
import GRDB

/// The gateway's SQLite database: one file in WAL mode, migrated on open.
public final class GatewayDatabase: Sendable {
    public enum OpenError: Error, CustomStringConvertible {
        case cannotCreateFolder(String, String)
        case cannotOpen(String, String)
        case cannotMigrate(String, String)
        case newerSchema(String)

        public var description: String {
            switch self {
            case .newerSchema(let path):
                "the database \(path) was written by a newer mcp-gateway (it has migrations this version does not know); "
                    + "run that version, or restore a backup made before the upgrade"
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
            if try pool.read(Migrations.migrator.hasBeenSuperseded) { throw OpenError.newerSchema(path) }
            try Migrations.migrator.migrate(pool)
        } catch let error as OpenError {
            throw error
        } catch {
            throw .cannotMigrate(path, "\(error)")
        }
    }

    /// What opening `path` would meet, changing nothing (for `check-config`, which may run beside a live server of
    /// another version): an existing database must open and have no migrations this version does not know; a missing
    /// one must be creatable, its nearest existing folder writable. Returns how many migrations opening would apply.
    public static func check(path: String) throws(OpenError) -> Int {
        let manager = FileManager.default
        guard manager.fileExists(atPath: path) else {
            var folder = URL(fileURLWithPath: path).deletingLastPathComponent()
            while !manager.fileExists(atPath: folder.path), folder.path != "/" { folder.deleteLastPathComponent() }
            var isDirectory: ObjCBool = false
            guard manager.fileExists(atPath: folder.path, isDirectory: &isDirectory), isDirectory.boolValue,
                manager.isWritableFile(atPath: folder.path)
            else { throw .cannotCreateFolder(path, "\(folder.path) is not a writable folder") }
            return Migrations.migrator.migrations.count
        }
        var configuration = Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(10)
        do {
            let queue = try DatabaseQueue(path: path, configuration: configuration)
            return try queue.read { db -> Int in
                if try Migrations.migrator.hasBeenSuperseded(db) { throw OpenError.newerSchema(path) }
                let applied = try Migrations.migrator.appliedIdentifiers(db)
                return Migrations.migrator.migrations.filter { !applied.contains($0) }.count
            }
        } catch let error as OpenError {
            throw error
        } catch {
            throw .cannotOpen(path, "\(error)")
        }
    }
}
