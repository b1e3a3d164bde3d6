import ArgumentParser
import Foundation
import GatewayApp
import OperatorPages

struct PasswordCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "password",
        abstract: "Change the operator password kept in the database.",
        subcommands: [SetPassword.self]
    )

    struct SetPassword: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set",
            abstract: "Change the operator password (asks for the current one).",
            discussion: """
                Reads the current password, then the new one twice, from the terminal (or three lines of standard \
                input). A running gateway uses the new password at once. Every /admin session signed in with the old \
                one ends; connected applications keep their tokens unless --revoke-grants. The initial password file \
                is removed. Refused when OAUTH_PASSWORD or OAUTH_PASSWORD_HASH sets the password: change it there.
                """
        )

        @OptionGroup var database: DatabaseOptions
        @Flag(help: "Also revoke every connected application's tokens: each must be approved again.")
        var revokeGrants = false

        func run() async throws {
            try await reporting {
                let settings = try database.settings()
                if settings.passwordIsConfigured { throw OperatorFailure(PasswordChangeError.configured.description, code: 78) }
                let store = try database.open()
                guard let current = SecretInput.read(prompt: "Current password: "),
                    let new = SecretInput.read(prompt: "New password: "),
                    let again = SecretInput.read(prompt: "New password again: ")
                else { throw OperatorFailure("expected the current password and the new one twice", code: 64) }
                guard new == again else { throw OperatorFailure("the two new passwords differ; nothing changed", code: 65) }
                let outcome: OperatorPassword.ChangeOutcome
                do {
                    outcome = try await OperatorPassword(settings: settings, database: store).change(
                        current: current, new: new, revokeGrants: revokeGrants)
                } catch let error as PasswordChangeError {
                    throw OperatorFailure("\(error.description); nothing changed", code: 65)
                }
                print("Password changed. Every /admin session signed in with the old password is signed out.")
                if revokeGrants {
                    print("Revoked \(outcome.revokedGrants) grant(s): every application must be approved again.")
                } else {
                    print("Connected applications keep their tokens (revoke them with --revoke-grants or on /admin).")
                }
            }
        }
    }
}
