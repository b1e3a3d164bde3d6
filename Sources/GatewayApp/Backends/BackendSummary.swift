import Foundation
import MCPCore

/// What `check-config` prints: every resolved backend, with credentials masked.
public enum BackendSummary {
    public static func describe(_ definitions: [BackendDefinition]) -> JSONValue {
        .object(["backends": .array(definitions.map(describe))])
    }

    static func describe(_ definition: BackendDefinition) -> JSONValue {
        var entry: [String: JSONValue] = [
            "name": .string(definition.name),
            "prefix": .string(definition.prefix),
            "transport": .string(definition.transportName),
            "enabled": .bool(definition.enabled),
            "timeout_seconds": .int(Int64(definition.timeoutSeconds)),
            "source": .string(definition.source),
        ]
        switch definition.transport {
        case .streamableHTTP(let url), .sse(let url):
            entry["url"] = .string(maskURL(url))
        case .stdio(let command):
            entry["command"] = .string(command.command)
            entry["args"] = .array(command.arguments.map { .string($0) })
            entry["env"] = .object(command.environment.mapValues { _ in .string(mask) })
            if let directory = command.workingDirectory { entry["cwd"] = .string(directory) }
        case .discord(let settings):
            entry["token"] = .string(mask)
            entry["api_base_url"] = .string(settings.apiBaseURL)
            entry["allowed_guild_ids"] = .array(settings.policy.allowedGuildIDs.sorted().map { .string($0) })
            entry["denied_channel_ids"] = .array(settings.policy.deniedChannelIDs.sorted().map { .string($0) })
            entry["read_only"] = .bool(settings.policy.readOnly)
            entry["require_confirmation"] = .bool(settings.policy.requireConfirmation)
            entry["allow_dms"] = .bool(settings.policy.allowDirectMessages)
        }
        if let oauth = definition.oauth {
            var auth: [String: JSONValue] = ["auth": "oauth"]
            if let clientID = oauth.clientID { auth["client_id"] = .string(clientID) }
            if oauth.clientSecret != nil { auth["client_secret"] = .string(mask) }
            if let scope = oauth.scope { auth["scope"] = .string(scope) }
            entry["oauth"] = .object(auth)
        }
        if !definition.headers.isEmpty { entry["headers"] = .object(definition.headers.mapValues { _ in .string(mask) }) }
        if !definition.allowedTools.isEmpty { entry["tools_allow"] = .array(definition.allowedTools.map { .string($0) }) }
        if !definition.deniedTools.isEmpty { entry["tools_deny"] = .array(definition.deniedTools.map { .string($0) }) }
        return .object(entry)
    }

    static let mask = "********"

    /// Query values and passwords in a URL often are credentials.
    static func maskURL(_ url: String) -> String {
        guard var components = URLComponents(string: url) else { return mask }
        if components.password != nil { components.password = mask }
        if let items = components.queryItems, !items.isEmpty {
            components.queryItems = items.map { URLQueryItem(name: $0.name, value: $0.value == nil ? nil : mask) }
        }
        return components.string ?? mask
    }

    static func isSecretName(_ name: String) -> Bool {
        let lowered = name.lowercased()
        return ["token", "secret", "password", "key", "auth"].contains { lowered.contains($0) }
    }
}
