import ArgumentParser
import Foundation
import MCPCore
import OAuthServer
import OperatorPages
import Storage

struct ClientsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "clients",
        abstract: "List, inspect and revoke the OAuth clients that registered with this gateway.",
        subcommands: [List.self, Show.self, Revoke.self]
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List every client, the most recently used first.")

        @OptionGroup var database: DatabaseOptions
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            try await reporting {
                let clients = try await database.open().clientSummaries(now: Date())
                if json { return OutputFormat.printJSON(.array(clients.map(ClientsCommand.json))) }
                guard !clients.isEmpty else { return print("No clients have registered.") }
                print(
                    OutputFormat.table(
                        ["CLIENT ID", "NAME", "LAST USED", "GRANTS", "TOKENS", "REGISTERED"],
                        clients.map { summary in
                            [
                                summary.client.id, summary.client.name ?? "-",
                                OutputFormat.time(summary.lastTokenAt ?? summary.client.lastUsedAt),
                                String(summary.liveGrants), String(summary.liveAccessTokens + summary.liveRefreshTokens),
                                OutputFormat.time(summary.client.createdAt),
                            ]
                        }))
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one client: its metadata, redirect URIs and live tokens.")

        @OptionGroup var database: DatabaseOptions
        @Argument(help: "The client id (from `clients list`).") var clientID: String
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            try await reporting {
                guard let summary = try await database.open().clientSummary(id: clientID, now: Date()) else {
                    throw OperatorFailure("no client with id \(clientID); `mcp-gateway clients list` shows them", code: 65)
                }
                if json { return OutputFormat.printJSON(ClientsCommand.json(summary)) }
                let client = summary.client
                print(
                    """
                    Client:          \(client.id)
                    Name:            \(client.name ?? "-")
                    Kind:            \(client.kind == .metadataDocument ? "metadata document (its id is its URL)" : "registered")
                    Authentication:  \(client.authMethod.rawValue)
                    Redirect URIs:   \(client.redirectURIs.joined(separator: "\n                 "))
                    Registered:      \(OutputFormat.time(client.createdAt))
                    Last token:      \(OutputFormat.time(summary.lastTokenAt))
                    Live grants:     \(summary.liveGrants)
                    Live tokens:     \(summary.liveAccessTokens) access, \(summary.liveRefreshTokens) refresh
                    """)
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove a client with all its tokens.",
            discussion: """
                Its refresh tokens stop working at once; an access token a running server has just checked keeps working \
                for at most 10 seconds. To connect again, the client must register and be approved on the consent page.
                """)

        @OptionGroup var database: DatabaseOptions
        @Argument(help: "The client id (from `clients list`).") var clientID: String

        func run() async throws {
            try await reporting {
                guard try await database.open().removeClient(id: clientID) else {
                    throw OperatorFailure("no client with id \(clientID); `mcp-gateway clients list` shows them", code: 65)
                }
                print("Revoked client \(clientID) and every token it held.")
            }
        }
    }

    static func json(_ summary: ClientSummary) -> JSONValue {
        let client = summary.client
        return [
            "client_id": .string(client.id), "client_name": client.name.map(JSONValue.string) ?? .null,
            "kind": .string(client.kind.rawValue), "token_endpoint_auth_method": .string(client.authMethod.rawValue),
            "redirect_uris": .array(client.redirectURIs.map(JSONValue.string)),
            "registered_at": OutputFormat.json(client.createdAt), "last_token_at": OutputFormat.json(summary.lastTokenAt),
            "live_grants": .int(Int64(summary.liveGrants)), "live_access_tokens": .int(Int64(summary.liveAccessTokens)),
            "live_refresh_tokens": .int(Int64(summary.liveRefreshTokens)),
        ]
    }
}
