import Foundation
import OAuthServer
import OperatorPages
import Storage
import Testing

@testable import GatewayApp

@Suite struct OperatorPasswordTests {
    static func stored() async throws -> (OperatorPassword, GatewayDatabase, GatewaySettings) {
        var settings = TestGateway.settings()
        settings.password = nil
        let database = try GatewayDatabase(path: settings.databasePath)
        let password = OperatorPassword(settings: settings, database: database)
        return (password, database, settings)
    }

    @Test func aChangeNeedsTheCurrentPasswordAndAGoodNewOne() async throws {
        let (password, database, settings) = try await Self.stored()
        let generated = Announcements()
        let check = try await password.prepare(announce: { value, _ in generated.add(value) }, logger: TestGateway.logger)
        let first = try #require(generated.values.first)
        #expect(await check.verify(first))
        await #expect(throws: PasswordChangeError.wrongPassword) {
            try await password.change(current: "not the password", new: "a brand new password", revokeGrants: false)
        }
        await #expect(throws: PasswordChangeError.tooShort) {
            try await password.change(current: first, new: "short", revokeGrants: false)
        }
        await #expect(throws: PasswordChangeError.unchanged) {
            try await password.change(current: first, new: first, revokeGrants: false)
        }
        #expect(await check.verify(first) && FileManager.default.fileExists(atPath: settings.initialPasswordFile))

        _ = try await password.change(current: first, new: "a brand new password", revokeGrants: false)
        #expect(await check.verify("a brand new password"), "the running check reads the new hash")
        #expect(!(await check.verify(first)))
        #expect(!FileManager.default.fileExists(atPath: settings.initialPasswordFile))
        _ = database
    }

    @Test func aConfiguredPasswordIsNotChangedHere() async throws {
        var settings = TestGateway.settings()
        settings.password = "the configured password"
        let password = OperatorPassword(settings: settings, database: try GatewayDatabase(path: settings.databasePath))
        await #expect(throws: PasswordChangeError.configured) {
            try await password.change(current: "the configured password", new: "another password 1", revokeGrants: false)
        }
    }
}
