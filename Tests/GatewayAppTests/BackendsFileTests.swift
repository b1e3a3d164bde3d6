import Foundation
import MCPCore
import Testing

@testable import GatewayApp

@Suite struct BackendsFileTests {
    func parse(_ text: String, environment: [String: String] = [:]) throws(BackendConfigurationError) -> [BackendDefinition] {
        try BackendsFile.parse(Array(text.utf8), source: "backends.json", environment: environment)
    }

    func failure(_ text: String, environment: [String: String] = [:]) -> String {
        do {
            _ = try parse(text, environment: environment)
            return "(parsed)"
        } catch {
            return error.settingsError.description
        }
    }

    @Test func everyOptionIsRead() throws {
        let definitions = try parse(
            """
            {"backends": {
              "docs": {"url": "https://docs.example.com/mcp", "prefix": "d", "headers": {"Authorization": "Bearer ${DOCS_TOKEN}"},
                       "timeout_seconds": 5, "tools": {"allow": ["search_*"], "deny": ["search_admin"]}},
              "legacy": {"url": "http://127.0.0.1:8000/sse", "transport": "sse", "enabled": false},
              "files": {"command": "npx", "args": ["-y", "server", "${ROOT:-/srv}"], "env": {"LEVEL": "debug"}, "cwd": "/tmp"}
            }}
            """, environment: ["DOCS_TOKEN": "t0k"])
        #expect(definitions.map(\.name) == ["docs", "files", "legacy"])
        let docs = definitions[0]
        #expect(docs.prefix == "d" && docs.timeoutSeconds == 5 && docs.headers == ["Authorization": "Bearer t0k"])
        #expect(docs.allowedTools == ["search_*"] && docs.deniedTools == ["search_admin"])
        #expect(docs.transport == .streamableHTTP(url: "https://docs.example.com/mcp"))
        #expect(definitions[2].transport == .sse(url: "http://127.0.0.1:8000/sse") && !definitions[2].enabled)
        guard case .stdio(let command) = definitions[1].transport else {
            Issue.record("not stdio")
            return
        }
        #expect(command.arguments == ["-y", "server", "/srv"] && command.environment == ["LEVEL": "debug"])
        #expect(command.workingDirectory == "/tmp" && definitions[1].prefix == "files")
    }

    @Test func aBackendMayBeKeptFromMembers() throws {
        let definitions = try parse(
            """
            {"backends": {
              "open": {"url": "https://open.example.com/mcp"},
              "kept": {"url": "https://kept.example.com/mcp", "operator_only": true},
              "bot": {"type": "discord", "token": "\(String(repeating: "x", count: 30))", "operator_only": true}
            }}
            """)
        #expect(definitions.map(\.name) == ["bot", "kept", "open"])
        #expect(definitions.map(\.operatorOnly) == [true, true, false])
        #expect(
            failure(#"{"backends": {"a": {"url": "https://a.example.com/mcp", "operator_only": "sometimes"}}}"#) != "(parsed)")
    }

    @Test func aClaudeDesktopFileIsTakenAsItIs() throws {
        let definitions = try parse(
            """
            {"mcpServers": {"My_Files": {"command": "npx", "args": ["x"], "autoApprove": []},
                            "remote": {"type": "http", "url": "https://r.example.com/mcp"},
                            "old": {"type": "sse", "url": "https://o.example.com/sse", "disabled": true}}}
            """)
        #expect(definitions.map(\.name) == ["my-files", "old", "remote"])
        #expect(definitions[1].transport == .sse(url: "https://o.example.com/sse") && !definitions[1].enabled)
    }

    @Test(arguments: [
        (#"{"backends": {"Docs": {"url": "https://x/mcp"}}}"#, #"backend "Docs""#),
        (#"{"backends": {"d": {"url": "ftp://x"}}}"#, #"backend "d", field "url""#),
        (#"{"backends": {"d": {"url": "https://x/mcp", "timout_seconds": 3}}}"#, #"field "timout_seconds""#),
        (#"{"backends": {"d": {"url": "https://x/mcp", "timeout_seconds": 0}}}"#, #"field "timeout_seconds""#),
        (#"{"backends": {"d": {"url": "${MISSING}"}}}"#, "${MISSING}"),
        (#"{"backends": {"d": {"url": "https://x/mcp", "command": "npx"}}}"#, #"field "command""#),
        (#"{"backends": {"d": {"command": "npx", "headers": {"A": "b"}}}}"#, #"field "headers""#),
        (#"{"backends": {"d": {"url": "https://x/mcp", "transport": "websocket"}}}"#, #"field "transport""#),
        (#"{"backends": {"d": {}}}"#, #"needs "url""#),
        (#"{"backends": {"d": {"url": "https://x/mcp", "headers": {"Bad Header": "x"}}}}"#, #"field "headers""#),
        (#"{"backends": [1]}"#, #"field "backends""#),
        (#"{"servers": {}}"#, #"must have a "backends""#),
        (#"{"backends": {"d": {"url": "https://x/mcp"},}}"#, "not valid JSON"),
    ])
    func mistakesNameTheFileTheBackendAndTheField(text: String, expected: String) {
        let message = failure(text)
        #expect(message.hasPrefix("backends.json: "), "\(message)")
        #expect(message.contains(expected), "\(message)")
    }

    @Test func environmentVariablesAddHTTPBackends() throws {
        let definitions = try BackendConfiguration.environmentBackends([
            "MCP_BACKEND_DOCS": "https://docs.example.com/mcp", "MCP_BACKEND_MY_TOOLS": "http://127.0.0.1:9000/mcp", "OTHER": "x",
        ])
        #expect(definitions.map(\.name) == ["docs", "my-tools"])
        #expect(definitions[0].source == "MCP_BACKEND_DOCS")
        #expect(throws: SettingsError.self) { try BackendConfiguration.environmentBackends(["MCP_BACKEND_X": "not a url"]) }
    }

    @Test func summariesMaskCredentials() throws {
        let definitions = try parse(
            #"{"backends": {"d": {"url": "https://u:pw@x.example.com/mcp?key=secret&x=1", "headers": {"Authorization": "Bearer t"}}, "s": {"command": "c", "env": {"TOKEN": "t"}}}}"#
        )
        let text = BackendSummary.describe(definitions).serializedString
        #expect(!text.contains("secret") && !text.contains("Bearer t") && !text.contains(":pw@") && !text.contains("\"t\""))
        #expect(text.contains("x.example.com"))
    }

    @Test func stdioChildrenGetOnlyBasicVariablesAndTheirOwn() {
        let environment = BackendFactory.childEnvironment(
            ["OWN": "1"], gateway: ["PATH": "/bin", "HOME": "/root", "OAUTH_PASSWORD": "pw", "DISCORD_BOT_TOKEN": "t"])
        #expect(environment == ["PATH": "/bin", "HOME": "/root", "OWN": "1"])
    }

    @Test func commentsAreAllowedAndStringsKeepTheirSlashes() throws {
        let definitions = try parse(
            """
            // the team's backends
            {"backends": {
              /* a remote one,
                 with a URL that looks like a comment */
              "docs": {"url": "https://docs.example.com/mcp//*not*/", "prefix": "d"}, // trailing note
              "notes": {"command": "echo", "args": ["a \\" // still a string"]}
            }}
            """)
        #expect(definitions.map(\.name) == ["docs", "notes"])
        #expect(definitions[0].transport == .streamableHTTP(url: "https://docs.example.com/mcp//*not*/"))
        guard case .stdio(let command) = definitions[1].transport else {
            Issue.record("not stdio")
            return
        }
        #expect(command.arguments == ["a \" // still a string"])
    }

    @Test func anUnterminatedCommentIsRefused() {
        #expect(failure("{\"backends\": {}} /* open").contains("is not valid JSON"))
    }
}

@Suite struct EnvironmentExpansionTests {
    @Test(arguments: [
        ("plain", "plain"), ("${A}", "alpha"), ("x-${A}-y", "x-alpha-y"), ("${EMPTY:-fallback}", "fallback"),
        ("${UNSET:-}", ""), ("$${A}", "${A}"), ("cost $5", "cost $5"), ("${A}${A}", "alphaalpha"),
    ])
    func expands(text: String, expected: String) throws {
        #expect(try EnvironmentExpansion.expand(text, environment: ["A": "alpha", "EMPTY": ""]) == expected)
    }

    @Test func refusesUnsetAndMalformedReferences() {
        #expect(throws: EnvironmentExpansion.Failure.undefined("NOPE")) {
            try EnvironmentExpansion.expand("${NOPE}", environment: [:])
        }
        #expect(throws: EnvironmentExpansion.Failure.malformed) { try EnvironmentExpansion.expand("${OPEN", environment: [:]) }
        #expect(throws: EnvironmentExpansion.Failure.malformed) { try EnvironmentExpansion.expand("${1X}", environment: [:]) }
    }
}

@Suite struct ShippedExampleTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    @Test func anOAuthBackendIsReadWithItsClientAndItsSecretIsMasked() throws {
        let bytes = Array(
            #"{"backends": {"gh": {"url": "https://gh.example/mcp", "auth": "oauth", "oauth_client_id": "id1", "oauth_client_secret": "${S}", "oauth_scope": "repo"}}}"#
                .utf8)
        let definitions = try BackendsFile.parse(bytes, source: "b.json", environment: ["S": "very-secret"])
        #expect(definitions[0].oauth == .init(clientID: "id1", clientSecret: "very-secret", scope: "repo"))
        #expect(definitions[0].upstreamAuth?.url == "https://gh.example/mcp")
        let summary = String(decoding: BackendSummary.describe(definitions).serialized(), as: UTF8.self)
        #expect(summary.contains("id1") && !summary.contains("very-secret"))
        let plain = try BackendsFile.parse(
            Array(#"{"backends": {"a": {"url": "https://a.example/mcp", "auth": "none"}}}"#.utf8), source: "b.json",
            environment: [:])
        #expect(plain[0].oauth == nil && plain[0].upstreamAuth == nil)
    }

    @Test(arguments: [
        (#"{"command": "x", "auth": "oauth"}"#, "only Streamable HTTP backends"),
        (#"{"url": "https://a.example/sse", "transport": "sse", "auth": "oauth"}"#, "only Streamable HTTP backends"),
        (#"{"url": "https://a.example/mcp", "auth": "basic"}"#, #"must be "oauth" or "none""#),
        (#"{"url": "https://a.example/mcp", "oauth_scope": "x"}"#, #"add "auth": "oauth""#),
        (#"{"url": "https://a.example/mcp", "auth": "oauth", "oauth_client_secret": "x"}"#, "needs oauth_client_id"),
        (#"{"url": "https://a.example/mcp", "auth": "oauth", "headers": {"authorization": "Bearer x"}}"#, "Authorization"),
    ])
    func anOAuthBackendThatCannotWorkIsRefused(entry: String, words: String) {
        let bytes = Array(#"{"backends": {"up": \#(entry)}}"#.utf8)
        #expect {
            try BackendsFile.parse(bytes, source: "b.json", environment: [:])
        } throws: { "\($0)".contains(words) && "\($0)".contains("up") }
    }

    @Test func theExampleStartsAsCopiedWithNothingSet() throws {
        let bytes = try Array(Data(contentsOf: Self.root.appendingPathComponent("backends.example.json")))
        let definitions = try BackendsFile.parse(bytes, source: "backends.example.json", environment: [:])
        #expect(!definitions.isEmpty)
    }

    @Test func theReferenceParsesWithItsVariablesAndShowsEveryKindOfBackend() throws {
        let bytes = try Array(Data(contentsOf: Self.root.appendingPathComponent("backends.reference.jsonc")))
        let environment = [
            "GATEWAY_DOCS_TOKEN": "t", "WIKI_TOKEN": "w", "ISSUES_OAUTH_SECRET": "s",
            "GAMERS_BOT_TOKEN": "MTIzNDU2Nzg5MDEyMzQ1Njc4.GaBcDe.abcdefghijklmnopqrstuvwxyz",
        ]
        let definitions = try BackendsFile.parse(bytes, source: "backends.reference.jsonc", environment: environment)
        #expect(Set(definitions.map(\.transportName)) == ["streamable-http", "sse", "stdio", "discord"])
        guard case .discord(let discord)? = definitions.first(where: { $0.name == "gamers" })?.transport else {
            Issue.record("the reference's Discord entry did not parse as one")
            return
        }
        #expect(discord.policy.requireConfirmation)
        #expect(definitions.contains { !$0.enabled })
    }
}

@Suite struct DiscordBackendConfigurationTests {
    static let token = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GaBcDe.abcdefghijklmnopqrstuvwxyz"

    @Test func aDiscordEntryWithAMistakeNamesTheBackendAndField() {
        let bytes = Array(#"{"backends": {"mod": {"type": "discord", "token": "${T}", "allowed_guild_ids": ["12"]}}}"#.utf8)
        #expect {
            try BackendsFile.parse(bytes, source: "b.json", environment: ["T": Self.token])
        } throws: { error in
            let text = "\(error)"
            return text.contains("mod") && text.contains("allowed_guild_ids") && !text.contains(Self.token)
        }
        let unknown = Array(#"{"backends": {"mod": {"type": "discord", "token": "${T}", "url": "https://x"}}}"#.utf8)
        #expect {
            try BackendsFile.parse(unknown, source: "b.json", environment: ["T": Self.token])
        } throws: { "\($0)".contains("url") }
    }

    @Test func theBotTokenAloneAddsTheDefaultBackendUnlessTheFileHasOne() throws {
        let environment = ["DISCORD_BOT_TOKEN": Self.token, "DISCORD_READ_ONLY": "true"]
        let added = try BackendConfiguration.discordBackend(environment, besides: [])
        #expect(added.map(\.name) == ["discord"] && added.first?.prefix == "discord")
        guard case .discord(let settings)? = added.first?.transport else {
            Issue.record("not a Discord backend")
            return
        }
        #expect(settings.policy.readOnly)
        let file = try BackendsFile.parse(
            Array(#"{"backends": {"mod": {"type": "discord", "token": "${DISCORD_BOT_TOKEN}"}}}"#.utf8), source: "b.json",
            environment: environment)
        #expect(try BackendConfiguration.discordBackend(environment, besides: file).isEmpty)
        #expect {
            try BackendConfiguration.discordBackend(
                ["DISCORD_BOT_TOKEN": Self.token, "DISCORD_ALLOW_DMS": "perhaps"], besides: [])
        } throws: { "\($0)".contains("DISCORD_ALLOW_DMS") }
    }

    @Test func checkConfigMasksTheToken() throws {
        let definitions = try BackendConfiguration.discordBackend(["DISCORD_BOT_TOKEN": Self.token], besides: [])
        let text = BackendSummary.describe(definitions).serializedString
        #expect(!text.contains(Self.token) && text.contains("require_confirmation"))
    }
}
