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
        if isatty(STDIN_FILENO) == 1 {
            FileHandle.standardError.write(Data("Password: ".utf8))
        }
        guard let line = readLine(strippingNewline: true), !line.isEmpty else {
            throw ValidationError("no password on standard input")
        }
        guard line.count >= PasswordHasher.minimumLength else {
            throw ValidationError("the password must be at least \(PasswordHasher.minimumLength) characters long")
        }
        print(try PasswordHasher.hash(line))
    }
}
