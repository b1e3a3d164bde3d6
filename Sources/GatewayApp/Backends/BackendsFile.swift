import DiscordBackend
import Foundation
import MCPBackends
import MCPCore

/// Reads `backends.json`: `{"backends": {name: {...}}}`, or a Claude-Desktop-style `{"mcpServers": {...}}` as it is;
/// `//` and `/* */` comments are allowed.
enum BackendsFile {
    /// Fields of a backend entry; anything else in a `backends` file is a mistake worth refusing.
    static let knownFields: Set<String> = [
        "url", "transport", "type", "command", "args", "env", "cwd", "prefix", "headers", "timeout_seconds", "enabled",
        "disabled", "tools", "operator_only", "auth", "oauth_client_id", "oauth_client_secret", "oauth_scope",
        "sandbox", "instances",
    ]

    static func parse(_ bytes: [UInt8], source: String, environment: [String: String]) throws(BackendConfigurationError)
        -> [BackendDefinition]
    {
        let document: JSONValue
        do {
            document = try JSONValue.parse(JSONComments.strip(bytes))
        } catch {
            throw BackendConfigurationError(source: source, "is not valid JSON (\(error))")
        }
        guard case .object(let root) = document else {
            throw BackendConfigurationError(
                source: source, "must be a JSON object with a \"backends\" (or \"mcpServers\") object")
        }
        let entries: [String: JSONValue]
        let desktopStyle: Bool
        if let servers = root["mcpServers"] {
            guard case .object(let map) = servers else {
                throw BackendConfigurationError(source: source, field: "mcpServers", "must be an object of servers by name")
            }
            (entries, desktopStyle) = (map, true)
        } else if let backends = root["backends"] {
            guard case .object(let map) = backends else {
                throw BackendConfigurationError(source: source, field: "backends", "must be an object of backends by name")
            }
            (entries, desktopStyle) = (map, false)
        } else {
            throw BackendConfigurationError(source: source, "must have a \"backends\" (or \"mcpServers\") object")
        }
        var definitions: [BackendDefinition] = []
        for key in entries.keys.sorted() {
            // Desktop files use names like "My_Server"; they are taken as they are, in the gateway's spelling.
            let name = desktopStyle ? BackendNames.normalized(key) : key
            let entry = BackendEntry(source: source, name: name, environment: environment, lenient: desktopStyle)
            definitions.append(try entry.definition(from: entries[key]!))
        }
        return definitions
    }
}

/// Backend names: `[a-z0-9-]`, as they appear in prefixes, `/status` and variable names.
enum BackendNames {
    static func isValid(_ name: String) -> Bool {
        !name.isEmpty && name.count <= 48 && name.first != "-"
            && name.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D }
    }

    /// Lower case, with every other character turned into `-`.
    static func normalized(_ name: String) -> String {
        String(
            name.lowercased().map { character -> Character in
                character.isASCII && (character.isLetter || character.isNumber) ? character : "-"
            }
        ).trimmingCharacters(in: CharacterSet(charactersIn: "-"))
    }
}

/// One entry of the file, read field by field so that every error can name its field.
private struct BackendEntry {
    let source: String
    let name: String
    let environment: [String: String]
    /// Desktop-style files carry client-specific fields (`autoApprove`, …) that are ignored, not refused.
    let lenient: Bool

    func fail(_ field: String?, _ problem: String) -> BackendConfigurationError {
        BackendConfigurationError(source: source, backend: name, field: field, problem)
    }

    func definition(from value: JSONValue) throws(BackendConfigurationError) -> BackendDefinition {
        guard BackendNames.isValid(name) else {
            throw fail(nil, "names must be 1-48 characters of a-z, 0-9 and -, not starting with -")
        }
        guard case .object(let fields) = value else { throw fail(nil, "must be an object") }
        // A Discord entry's own fields are checked by its settings, which name what they know.
        let isDiscord = fields["type"]?.stringValue?.lowercased() == "discord"
        if !lenient, !isDiscord, let unknown = fields.keys.sorted().first(where: { !BackendsFile.knownFields.contains($0) }) {
            throw fail(unknown, "is not a backend setting (see backends.example.json)")
        }
        let transport = try self.transport(fields)
        let prefix = try string(fields, "prefix") ?? name
        guard !prefix.isEmpty, prefix.count <= 32 else { throw fail("prefix", "must be 1-32 characters") }
        var timeout = BackendDefinition.defaultTimeoutSeconds
        if let raw = fields["timeout_seconds"] {
            guard case .int(let seconds) = raw, (1...3600).contains(seconds) else {
                throw fail("timeout_seconds", "must be a whole number of seconds from 1 to 3600")
            }
            timeout = Int(seconds)
        }
        var enabled = try bool(fields, "enabled") ?? true
        if try bool(fields, "disabled") == true { enabled = false }
        let headers = try stringMap(fields, "headers")
        for headerName in headers.keys where !Self.isHeaderName(headerName) {
            throw fail("headers", "\"\(headerName)\" is not a valid HTTP header name")
        }
        if !headers.isEmpty, case .stdio = transport { throw fail("headers", "only HTTP backends take headers") }
        let (allowed, denied) = try toolFilter(fields["tools"])
        var definition = BackendDefinition(
            name: name, prefix: prefix, transport: transport, headers: headers, timeoutSeconds: timeout, enabled: enabled,
            allowedTools: allowed, deniedTools: denied, source: source)
        definition.operatorOnly = try bool(fields, "operator_only") ?? false
        definition.oauth = try oauth(fields, transport: transport, headers: headers)
        return definition
    }

    /// `"auth": "oauth"`: an OAuth-protected upstream each caller signs in to as themselves, with the client the
    /// operator made there when the upstream registers none by itself.
    private func oauth(_ fields: [String: JSONValue], transport: BackendDefinition.Transport, headers: [String: String])
        throws(BackendConfigurationError) -> BackendDefinition.OAuth?
    {
        let auth = try string(fields, "auth")?.lowercased()
        let clientID = try string(fields, "oauth_client_id")
        let clientSecret = try string(fields, "oauth_client_secret")
        let scope = try string(fields, "oauth_scope")
        guard auth == "oauth" else {
            if let auth, auth != "none" { throw fail("auth", "must be \"oauth\" or \"none\" (got \"\(auth)\")") }
            if let field = [("oauth_client_id", clientID), ("oauth_client_secret", clientSecret), ("oauth_scope", scope)]
                .first(where: { $0.1 != nil })?.0
            {
                throw fail(field, "is for OAuth backends: add \"auth\": \"oauth\"")
            }
            return nil
        }
        guard case .streamableHTTP = transport else {
            throw fail("auth", "only Streamable HTTP backends (a \"url\") can be OAuth backends")
        }
        if headers.keys.contains(where: { $0.lowercased() == "authorization" }) {
            throw fail("headers", "an OAuth backend gets each caller's own Authorization header; remove this one")
        }
        if clientSecret != nil, clientID == nil { throw fail("oauth_client_secret", "needs oauth_client_id") }
        return BackendDefinition.OAuth(clientID: clientID, clientSecret: clientSecret, scope: scope)
    }

    private func transport(_ fields: [String: JSONValue]) throws(BackendConfigurationError) -> BackendDefinition.Transport {
        let type = try string(fields, "type")?.lowercased()
        let transport = try string(fields, "transport")?.lowercased()
        if type == "discord" {
            var settings = fields
            for field in ["type", "prefix", "timeout_seconds", "enabled", "disabled", "tools", "operator_only"] {
                settings[field] = nil
            }
            let expanded = try expandAll(settings)
            do throws(DiscordBackendSettings.Problem) {
                return .discord(try DiscordBackendSettings(fields: expanded))
            } catch {
                throw fail(error.field, error.message)
            }
        }
        let url = try string(fields, "url")
        let command = try string(fields, "command")
        if url != nil && command != nil { throw fail("command", "a backend has either \"url\" or \"command\", not both") }
        if let command {
            if let type, type != "stdio" { throw fail("type", "\"\(type)\" does not go with \"command\"; use \"stdio\"") }
            guard !command.isEmpty else { throw fail("command", "must not be empty") }
            let arguments = try stringList(fields, "args")
            let cwd = try string(fields, "cwd")
            let sandbox: SandboxProfile?
            do throws(SandboxSettings.Problem) {
                sandbox = try SandboxSettings.profile(fields["sandbox"])
            } catch {
                throw fail(error.field, error.message)
            }
            var instances = 1
            if let raw = fields["instances"] {
                guard case .int(let count) = raw, (1...16).contains(count) else {
                    throw fail("instances", "must be a whole number from 1 to 16")
                }
                instances = Int(count)
            }
            return .stdio(
                .init(
                    command: command, arguments: arguments, environment: try stringMap(fields, "env"), workingDirectory: cwd,
                    sandbox: sandbox, instances: instances))
        }
        guard let url else {
            throw fail(nil, "needs \"url\" (an HTTP backend), \"command\" (a stdio backend) or \"type\": \"discord\"")
        }
        for field in ["args", "env", "cwd", "sandbox", "instances"] where fields[field] != nil {
            throw fail(field, "only stdio backends (with \"command\") take \"\(field)\"")
        }
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
            scheme == "http" || scheme == "https", components.host?.isEmpty == false
        else {
            throw fail("url", "must be an absolute http(s) URL (got \"\(url)\")")
        }
        switch transport ?? type {
        case nil, "http", "streamable-http", "streamable_http", "streamablehttp": return .streamableHTTP(url: url)
        case "sse": return .sse(url: url)
        case let other?:
            throw fail(
                fields["transport"] != nil ? "transport" : "type", "must be \"streamable-http\" or \"sse\" (got \"\(other)\")")
        }
    }

    private func toolFilter(_ value: JSONValue?) throws(BackendConfigurationError) -> ([String], [String]) {
        guard let value else { return ([], []) }
        switch value {
        case .array:
            return (try patterns(value, field: "tools"), [])
        case .object(let lists):
            if let unknown = lists.keys.first(where: { $0 != "allow" && $0 != "deny" }) {
                throw fail("tools", "takes \"allow\" and \"deny\" lists, not \"\(unknown)\"")
            }
            return (
                try patterns(lists["allow"] ?? [], field: "tools.allow"), try patterns(lists["deny"] ?? [], field: "tools.deny")
            )
        default:
            throw fail("tools", "must be {\"allow\": [...], \"deny\": [...]} with glob patterns")
        }
    }

    private func patterns(_ value: JSONValue, field: String) throws(BackendConfigurationError) -> [String] {
        guard case .array(let items) = value else { throw fail(field, "must be a list of glob patterns") }
        var patterns: [String] = []
        for item in items {
            guard case .string(let pattern) = item, !pattern.isEmpty else { throw fail(field, "must be a list of glob patterns") }
            patterns.append(pattern)
        }
        return patterns
    }

    // MARK: typed field access, with environment expansion

    private func expand(_ text: String, field: String) throws(BackendConfigurationError) -> String {
        do {
            return try EnvironmentExpansion.expand(text, environment: environment)
        } catch .undefined(let variable) {
            throw fail(field, "refers to ${\(variable)}, which is not set (give a default with ${\(variable):-value})")
        } catch {
            throw fail(field, "has a malformed ${...} reference")
        }
    }

    private func expandAll(_ fields: [String: JSONValue]) throws(BackendConfigurationError) -> [String: JSONValue] {
        var expanded: [String: JSONValue] = [:]
        for (key, value) in fields {
            expanded[key] = try expandValue(value, field: key)
        }
        return expanded
    }

    private func expandValue(_ value: JSONValue, field: String) throws(BackendConfigurationError) -> JSONValue {
        switch value {
        case .string(let text): return .string(try expand(text, field: field))
        case .array(let items):
            var result: [JSONValue] = []
            for item in items { result.append(try expandValue(item, field: field)) }
            return .array(result)
        case .object(let members):
            var result: [String: JSONValue] = [:]
            for (key, member) in members { result[key] = try expandValue(member, field: "\(field).\(key)") }
            return .object(result)
        default: return value
        }
    }

    private func string(_ fields: [String: JSONValue], _ field: String) throws(BackendConfigurationError) -> String? {
        guard let value = fields[field] else { return nil }
        guard case .string(let text) = value else { throw fail(field, "must be a string") }
        return try expand(text, field: field)
    }

    private func bool(_ fields: [String: JSONValue], _ field: String) throws(BackendConfigurationError) -> Bool? {
        guard let value = fields[field] else { return nil }
        switch value {
        case .bool(let flag): return flag
        case .string(let text):
            // "${FLAG:-true}" is how a file makes a switch configurable from the environment.
            guard let flag = GatewaySettings.boolean(try expand(text, field: field)) else {
                throw fail(field, "must be true or false")
            }
            return flag
        default: throw fail(field, "must be true or false")
        }
    }

    private func stringList(_ fields: [String: JSONValue], _ field: String) throws(BackendConfigurationError) -> [String] {
        guard let value = fields[field] else { return [] }
        guard case .array(let items) = value else { throw fail(field, "must be a list of strings") }
        var result: [String] = []
        for item in items {
            guard case .string(let text) = item else { throw fail(field, "must be a list of strings") }
            result.append(try expand(text, field: field))
        }
        return result
    }

    private func stringMap(_ fields: [String: JSONValue], _ field: String) throws(BackendConfigurationError) -> [String: String] {
        guard let value = fields[field] else { return [:] }
        guard case .object(let members) = value else { throw fail(field, "must be an object of strings") }
        var result: [String: String] = [:]
        for (key, member) in members {
            switch member {
            case .string(let text): result[key] = try expand(text, field: "\(field).\(key)")
            case .int(let number): result[key] = String(number)
            case .bool(let flag): result[key] = String(flag)
            default: throw fail("\(field).\(key)", "must be a string")
            }
        }
        return result
    }

    static func isHeaderName(_ name: String) -> Bool {
        !name.isEmpty
            && name.utf8.allSatisfy { byte in
                (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                    || "!#$%&'*+-.^_`|~".utf8.contains(byte)
            }
    }
}
