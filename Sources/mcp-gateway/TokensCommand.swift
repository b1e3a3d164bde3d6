import ArgumentParser
import Foundation
import GatewayApp
import MCPCore
import OAuthServer
import Storage

struct TokensCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokens",
        abstract: "Personal tokens for `curl /status`, Prometheus and scripts that call /mcp: create, list, revoke.",
        discussion: """
            A token with the `status` scope opens /status and /metrics and nothing else. One with the `mcp` scope opens \
            /mcp (and /status) like an approved application's token, to every backend or only those --backends names. \
            A token is shown once, when created; the database keeps only its SHA-256 hash.
            """,
        subcommands: [List.self, Create.self, Revoke.self]
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List personal tokens (never the tokens themselves).")

        @OptionGroup var database: DatabaseOptions
        @Flag(help: "Include revoked and expired tokens.") var all = false
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            try await reporting {
                let now = Date()
                let tokens = try await database.open().personalTokens().filter { all || $0.isLive(at: now) }
                if json { return OutputFormat.printJSON(.array(tokens.map { TokensCommand.json($0, now: now) })) }
                guard !tokens.isEmpty else {
                    return print("No personal tokens. Create one with `mcp-gateway tokens create --name NAME`.")
                }
                print(
                    OutputFormat.table(
                        ["ID", "NAME", "SCOPE", "BACKENDS", "CREATED", "LAST USED", "EXPIRES", "STATE"],
                        tokens.map { token in
                            [
                                token.id, token.name, token.scopes.sorted().joined(separator: " "),
                                token.scopes.contains(GatewayScopes.mcp)
                                    ? token.backends?.joined(separator: ",") ?? "all" : "-",
                                OutputFormat.time(token.createdAt),
                                OutputFormat.time(token.lastUsedAt), token.expiresAt.map { OutputFormat.time($0) } ?? "never",
                                TokensCommand.state(token, now: now),
                            ]
                        }))
            }
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a personal token and print it, this once.")

        @OptionGroup var database: DatabaseOptions
        @Option(help: "A name to recognize it by, e.g. prometheus.") var name: String
        @Option(help: "What it may do: status (/status and /metrics), mcp (/mcp), or both: \"status mcp\".")
        var scope: String = GatewayScopes.status
        @Option(help: "With --scope mcp: the only backends it may reach, comma-separated; all by default.")
        var backends: String?
        @Option(help: "Lifetime, e.g. 90d or 12h; none by default.") var expires: String?

        var scopes: Swift.Set<String> {
            Swift.Set(scope.split(whereSeparator: { $0 == " " || $0 == "," }).map(String.init))
        }

        var backendNames: [String]? {
            backends.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } }
        }

        func validate() throws {
            let trimmed = name.trimmingCharacters(in: .whitespaces)
            guard !trimmed.isEmpty, trimmed.count <= 64,
                !trimmed.unicodeScalars.contains(where: CharacterSet.controlCharacters.contains)
            else { throw ValidationError("--name must be 1 to 64 characters on one line") }
            guard !scopes.isEmpty, scopes.isSubset(of: GatewayScopes.personalToken) else {
                throw ValidationError("--scope must be one of: \(GatewayScopes.personalToken.sorted().joined(separator: ", "))")
            }
            if let names = backendNames {
                guard scopes.contains(GatewayScopes.mcp) else {
                    throw ValidationError("--backends goes with --scope mcp: only /mcp reaches backends")
                }
                guard !names.isEmpty else { throw ValidationError("--backends needs at least one backend name") }
            }
            if let expires, DurationText.seconds(expires) == nil {
                throw ValidationError("--expires takes a duration such as 30m, 12h or 90d")
            }
        }

        /// Each name must be a configured backend: a typo would make a token that reaches nothing.
        func checkedBackends(_ names: [String]) throws -> [String] {
            let configured = try database.configuredBackendNames()
            if let unknown = names.first(where: { !configured.contains($0) }) {
                throw OperatorFailure(
                    "no backend named \"\(unknown)\" is configured (configured: "
                        + "\(configured.isEmpty ? "none" : configured.sorted().joined(separator: ", "))); nothing created",
                    code: 65)
            }
            return Swift.Set(names).sorted()
        }

        func run() async throws {
            try await reporting {
                let now = Date()
                let (token, hash) = PersonalTokens.mint()
                let record = PersonalToken(
                    id: "pt_" + String(TokenCrypto.generateToken(byteCount: 6)),
                    name: name.trimmingCharacters(in: .whitespaces),
                    scopes: scopes, createdAt: now,
                    expiresAt: expires.flatMap(DurationText.seconds).map { now.addingTimeInterval($0) },
                    backends: try backendNames.map(checkedBackends))
                do {
                    try await database.open().insertPersonalToken(record, hash: hash)
                } catch let error as PersonalTokenError {
                    throw OperatorFailure(error.description, code: 65)
                }
                FileHandle.standardError.write(
                    Data(
                        "Created token \(record.id) (\(record.name)). It is shown only now; store it where Prometheus or your script reads it:\n"
                            .utf8))
                print(token)
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Revoke a personal token by id or name; it stops working at once.")

        @OptionGroup var database: DatabaseOptions
        @Argument(help: "The token's id or name (from `tokens list`).") var token: String

        func run() async throws {
            try await reporting {
                guard let revoked = try await database.open().revokePersonalToken(idOrName: token, now: Date()) else {
                    throw OperatorFailure(
                        "no live token with id or name \(token); `mcp-gateway tokens list` shows them", code: 65)
                }
                print("Revoked token \(revoked.id) (\(revoked.name)).")
            }
        }
    }

    static func state(_ token: PersonalToken, now: Date) -> String {
        if token.revokedAt != nil { return "revoked" }
        return token.isLive(at: now) ? "live" : "expired"
    }

    static func json(_ token: PersonalToken, now: Date) -> JSONValue {
        [
            "id": .string(token.id), "name": .string(token.name), "scope": .string(token.scopes.sorted().joined(separator: " ")),
            "created_at": OutputFormat.json(token.createdAt), "last_used_at": OutputFormat.json(token.lastUsedAt),
            "expires_at": OutputFormat.json(token.expiresAt), "revoked_at": OutputFormat.json(token.revokedAt),
            "state": .string(state(token, now: now)),
            "backends": token.backends.map { .array($0.map(JSONValue.string)) } ?? .null,
        ]
    }
}
