import ArgumentParser
import Foundation
import GatewayApp

struct KeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Manage the master key that backend secrets are sealed under.",
        subcommands: [Rotate.self]
    )

    struct Rotate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rotate",
            abstract: "Re-seal every secret under a new master key, in one transaction.",
            discussion: """
                Stop the gateway first (a running one keeps the old key in memory), rotate, then start it again. \
                With the key in the data directory's master-key file, the file gets the new key. With \
                GATEWAY_MASTER_KEY, the new key is printed: set it there before starting, or the gateway refuses.
                """
        )

        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            try await reporting {
                let settings = try database.settings()
                let store = try database.open()
                let outcome: MasterKeyRotation.Outcome
                do {
                    outcome = try await MasterKeyRotation.rotate(settings: settings, database: store)
                } catch {
                    throw OperatorFailure("\(error)", code: 65)
                }
                if let key = outcome.keyToConfigure {
                    print("Every secret is now sealed under a new key. Set it before the gateway starts again:")
                    print("GATEWAY_MASTER_KEY=\(key)")
                } else if let file = outcome.keyFile {
                    print("Every secret is now sealed under a new key, kept in \(file). Start the gateway again.")
                }
            }
        }
    }
}
