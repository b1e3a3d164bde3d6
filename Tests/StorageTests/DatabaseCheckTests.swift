import Foundation
import GRDB
import Testing

@testable import Storage

@Suite struct DatabaseCheckTests {
    static func folder() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("db-check-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }

    @Test func aMissingDatabaseIsCreatableAndNotCreated() throws {
        let path = try Self.folder().appendingPathComponent("state/gateway.sqlite").path
        #expect(try GatewayDatabase.check(path: path) == Migrations.migrator.migrations.count)
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    @Test func anUpToDateDatabaseNeedsNoMigration() throws {
        let path = try Self.folder().appendingPathComponent("gateway.sqlite").path
        _ = try GatewayDatabase(path: path)
        #expect(try GatewayDatabase.check(path: path) == 0)
    }

    @Test func aDatabaseFromANewerVersionIsRefusedByBothCheckAndOpen() throws {
        let path = try Self.folder().appendingPathComponent("gateway.sqlite").path
        _ = try GatewayDatabase(path: path)
        let queue = try DatabaseQueue(path: path)
        try queue.write { try $0.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v99-from-the-future')") }
        #expect(throws: GatewayDatabase.OpenError.self) { try GatewayDatabase.check(path: path) }
        #expect(throws: GatewayDatabase.OpenError.self) { _ = try GatewayDatabase(path: path) }
    }

    @Test func garbageAndUnwritableFoldersAreRefused() throws {
        let folder = try Self.folder()
        let garbage = folder.appendingPathComponent("garbage.sqlite")
        try Data(repeating: 7, count: 8192).write(to: garbage)
        #expect(throws: GatewayDatabase.OpenError.self) { try GatewayDatabase.check(path: garbage.path) }
        let file = folder.appendingPathComponent("plain")
        try Data("x".utf8).write(to: file)
        #expect(throws: GatewayDatabase.OpenError.self) { try GatewayDatabase.check(path: file.path + "/gateway.sqlite") }
    }
}
