import Accounts
import ArgumentParser
import Foundation
import GatewayApp
import MCPCore

struct BackendsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backends",
        abstract: "Backends defined in the database (members' and the operator's): list, show, add, remove.",
        discussion: """
            These are the backends of /api/backends and /me, not those of backends.json. The command acts as the \
            operator. Secret values (--header, --env) are asked for on the terminal (or read from standard input, one \
            line each), never taken from the command line, and never shown again. A running gateway picks changes up \
            within seconds.
            """,
        subcommands: [List.self, Show.self, Add.self, Remove.self]
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List every defined backend.")
        @OptionGroup var database: DatabaseOptions
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            try await reporting {
                let backends = try await BackendsCommand.open(database)
                let all = try await backends.service.backends(for: .operator)
                let owners = await backends.ownerNames()
                if json { return OutputFormat.printJSON(.array(all.map { BackendsCommand.json($0, owners: owners) })) }
                guard !all.isEmpty else { return print("No backends defined. Add one with `mcp-gateway backends add`.") }
                print(
                    OutputFormat.table(
                        ["ID", "NAME", "SCOPE", "OWNER", "TRANSPORT", "WHERE", "UPDATED"],
                        all.map { backend in
                            [
                                backend.id, backend.name, BackendsCommand.scopeText(backend.scope),
                                owners[backend.ownerID] ?? backend.ownerID, backend.transport.name,
                                backend.transport.url ?? BackendsCommand.commandText(backend.transport),
                                OutputFormat.time(backend.updatedAt),
                            ]
                        }))
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one backend (secrets only as \"set\").")
        @OptionGroup var database: DatabaseOptions
        @Argument(help: "The backend's id.") var id: String

        func run() async throws {
            try await reporting {
                let backends = try await BackendsCommand.open(database)
                let backend = try await BackendsCommand.perform { () async throws(MemberBackendError) in
                    try await backends.service.backend(id: id, for: .operator)
                }
                OutputFormat.printJSON(BackendsCommand.json(backend, owners: await backends.ownerNames()))
            }
        }
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a backend (the operator's).")
        @OptionGroup var database: DatabaseOptions
        @Option(help: "Its name: the prefix of its tools.") var name: String
        @Option(help: "The MCP server's URL (HTTP transports).") var url: String?
        @Option(help: "streamable_http (default), sse or stdio.") var transport: String?
        @Option(help: "The command to run (stdio).") var command: String?
        @Option(name: .customLong("arg"), help: "An argument of the command; repeat for more.") var arguments: [String] = []
        @Option(help: "user (the operator's own, default), global, guild:<guild id>, channel:<guild id>/<channel id>.")
        var scope: String = "user"
        @Option(name: .customLong("header"), help: "A header whose value is asked for; repeat for more.")
        var headers: [String] = []
        @Option(name: .customLong("env"), help: "A variable (stdio) whose value is asked for; repeat for more.")
        var variables: [String] = []
        @Option(name: .customLong("member-header"), help: "A header each member fills in with their own value.")
        var memberHeaders: [String] = []
        @Option(help: "Seconds a call may take.") var timeout: Int?
        @Option(help: "A command's network: none (default), proxy (through the gateway's egress proxy) or host.")
        var network: String?
        @Option(name: .customLong("bind"), help: "A host path a command sees read-only in its sandbox; repeat for more.")
        var binds: [String] = []
        @Flag(help: "Each member signs in at the backend's OAuth authorization server and is reached as themselves.")
        var oauth = false
        @Option(help: "With --oauth: the client made by hand at the upstream, when it offers no registration.")
        var oauthClientID: String?
        @Flag(help: "With --oauth-client-id: that client's secret, asked for.") var oauthClientSecret = false
        @Option(help: "With --oauth: the scopes to ask for (the upstream's advertised ones by default).")
        var oauthScope: String?

        func run() async throws {
            try await reporting {
                var input = BackendInput(
                    name: name, scope: try BackendsCommand.scope(scope), transport: transport, url: url, command: command,
                    args: arguments.isEmpty ? nil : arguments, timeoutSeconds: timeout)
                if !memberHeaders.isEmpty { input.memberHeaders = memberHeaders }
                if !headers.isEmpty { input.headers = try BackendsCommand.askValues(headers, kind: "header") }
                if !variables.isEmpty { input.env = try BackendsCommand.askValues(variables, kind: "variable") }
                if network != nil || !binds.isEmpty {
                    input.sandbox = .init(network: network, binds: binds.isEmpty ? nil : binds)
                }
                if oauth { input.auth = "oauth" }
                input.oauthClientID = oauthClientID
                input.oauthScope = oauthScope
                if oauthClientSecret {
                    input.oauthClientSecret =
                        try BackendsCommand.askValues(["oauth_client_secret"], kind: "the")[
                            "oauth_client_secret"] ?? nil
                }
                let backends = try await BackendsCommand.open(database)
                let backend = try await BackendsCommand.perform { () async throws(MemberBackendError) in
                    try await backends.service.create(input, by: .operator)
                }
                print("Added \(backend.name) (\(backend.id)).")
            }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a backend and its members' credentials.")
        @OptionGroup var database: DatabaseOptions
        @Argument(help: "The backend's id.") var id: String

        func run() async throws {
            try await reporting {
                let backends = try await BackendsCommand.open(database)
                try await BackendsCommand.perform { () async throws(MemberBackendError) in
                    try await backends.service.delete(id: id, by: .operator)
                }
                print("Removed \(id).")
            }
        }
    }

    // MARK: helpers

    static func open(_ database: DatabaseOptions) async throws -> OperatorBackends {
        let settings = try database.settings()
        let store = try database.open()
        do {
            return try await OperatorBackends(settings: settings, database: store)
        } catch {
            throw OperatorFailure("\(error)", code: 78)
        }
    }

    static func perform<T>(_ work: () async throws(MemberBackendError) -> T) async throws -> T {
        do {
            return try await work()
        } catch {
            throw OperatorFailure(error.description, code: error.kind == .notFound ? 66 : 65)
        }
    }

    static func scope(_ text: String) throws -> BackendInput.ScopeInput {
        if text == "user" || text == "global" { return .init(kind: text) }
        if text.hasPrefix("guild:") { return .init(kind: "guild", guildID: String(text.dropFirst(6))) }
        if text.hasPrefix("channel:") {
            let parts = text.dropFirst(8).split(separator: "/", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { throw OperatorFailure("--scope channel:<guild id>/<channel id>", code: 64) }
            return .init(kind: "channel", guildID: parts[0], channelID: parts[1])
        }
        throw OperatorFailure("--scope must be user, global, guild:<id> or channel:<guild id>/<channel id>", code: 64)
    }

    static func askValues(_ names: [String], kind: String) throws -> [String: String?] {
        var values: [String: String?] = [:]
        for name in names {
            guard let value = SecretInput.read(prompt: "Value of \(kind) \(name): "), !value.isEmpty else {
                throw OperatorFailure("no value for \(kind) \(name); nothing changed", code: 64)
            }
            values[name] = value
        }
        return values
    }

    static func scopeText(_ scope: BackendScope) -> String {
        switch scope {
        case .global: "global"
        case .user: "user"
        case .guild(let guildID, let roles):
            roles.isEmpty ? "guild:\(guildID)" : "guild:\(guildID) roles:\(roles.joined(separator: ","))"
        case .channel(let guildID, let channelID): "channel:\(guildID)/\(channelID)"
        }
    }

    static func commandText(_ transport: MemberBackend.Transport) -> String {
        if case .stdio(let command, let arguments) = transport { return ([command] + arguments).joined(separator: " ") }
        return "-"
    }

    static func json(_ backend: MemberBackend, owners: [String: String]) -> JSONValue {
        var object: [String: JSONValue] = [
            "id": .string(backend.id), "name": .string(backend.name), "scope": .string(scopeText(backend.scope)),
            "owner": .string(owners[backend.ownerID] ?? backend.ownerID), "owner_id": .string(backend.ownerID),
            "transport": .string(backend.transport.name),
            "headers": .object(Dictionary(uniqueKeysWithValues: backend.sealedHeaders.keys.map { ($0, "set") })),
            "env": .object(Dictionary(uniqueKeysWithValues: backend.sealedEnvironment.keys.map { ($0, "set") })),
            "member_headers": .array(backend.memberHeaders.map(JSONValue.string)),
            "timeout_seconds": .int(Int64(backend.timeoutSeconds)), "created_at": OutputFormat.json(backend.createdAt),
            "updated_at": OutputFormat.json(backend.updatedAt), "updated_by": .string(backend.updatedBy),
        ]
        if let url = backend.transport.url { object["url"] = .string(url) }
        object["auth"] = backend.oauth == nil ? "none" : "oauth"
        if let oauth = backend.oauth {
            if let clientID = oauth.clientID { object["oauth_client_id"] = .string(clientID) }
            if oauth.sealedClientSecret != nil { object["oauth_client_secret"] = "set" }
            if let scope = oauth.scope { object["oauth_scope"] = .string(scope) }
        }
        if case .stdio(let command, let arguments) = backend.transport {
            object["command"] = .string(command)
            object["args"] = .array(arguments.map(JSONValue.string))
            object["sandbox"] = [
                "network": .string(backend.commandAccess.network),
                "binds": .array(backend.commandAccess.binds.map(JSONValue.string)),
            ]
        }
        return .object(object)
    }
}
