import ArgumentParser
import Foundation
import OAuthServer

struct HashPasswordCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hash-password",
        abstract: "Print an scrypt hash of the operator password, for OAUTH_PASSWORD_HASH.",
        discussion: "Reads the password from standard input (one line), so it stays out of the shell history."
    )

    func run() throws {
        guard let line = SecretInput.read(prompt: "Password: "), !line.isEmpty else {
            throw ValidationError("no password on standard input")
        }
        guard line.count >= PasswordHasher.minimumLength else {
            throw ValidationError("the password must be at least \(PasswordHasher.minimumLength) characters long")
        }
        print(try PasswordHasher.hash(line))
    }
}
