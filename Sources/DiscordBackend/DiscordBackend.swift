import MCPCore
import OutboundHTTP

/// The built-in Discord backend: Discord's REST API v10 as MCP tools, through a bot token, under the operator's
/// policy. It lives in the gateway's process and speaks to it in the modern era's terms.
public final class DiscordBackend: Backend {
    let name: String
    let settings: DiscordBackendSettings
    let rest: DiscordRESTClient
    let runner: DiscordToolRunner
    let tools: [String: DiscordTool]
    let version: String

    public init(name: String, settings: DiscordBackendSettings, http: OutboundHTTP, version: String) {
        self.name = name
        self.settings = settings
        self.version = version
        rest = DiscordRESTClient(
            configuration: .init(baseURL: settings.apiBaseURL, botToken: settings.token, version: version), http: http)
        runner = DiscordToolRunner(rest: rest, policy: settings.policy, confirmations: ConfirmationTokens())
        tools = Dictionary(uniqueKeysWithValues: DiscordCatalog.all.map { ($0.name, $0) })
    }

    /// Checks the token by asking Discord who the bot is; a user token is refused.
    public func connect(notifications: @escaping @Sendable (BackendNotification) -> Void) async throws -> BackendDescription {
        let me: JSONValue
        do {
            me = try await rest.send(DiscordRoute("GET", "/users/@me"), action: "check the bot token").body ?? .null
        } catch {
            if error.status == 401 {
                throw BackendError.httpStatus(401, "Discord refused the bot token; set a valid one (DISCORD_BOT_TOKEN)")
            }
            throw error.status.map { BackendError.httpStatus($0, error.description) }
                ?? BackendError.unreachable(error.description)
        }
        guard me["bot"]?.boolValue == true else {
            throw BackendError.protocolViolation("the token belongs to a user account; the gateway only uses bot tokens")
        }
        let botName = DiscordFormat.userName(me)
        var instructions =
            "Discord, as the bot \(botName): read, organize and moderate its servers. Channels, members and roles can be named (#support, @Luis, Moderator) or given by id; resolve finds ids."
        if settings.policy.readOnly {
            instructions += " Read-only: no changes can be made."
        } else if settings.policy.requireConfirmation {
            instructions +=
                " Destructive actions (deletes, bans, kicks, timeouts, role and permission changes, webhooks, invites) first return a plan; they run only once confirmed."
        }
        return BackendDescription(
            era: .modern(version: MCPProtocol.latestModernVersion),
            serverInfo: ["name": .string("discord"), "title": .string("Discord (\(botName))"), "version": .string(version)],
            capabilities: ["tools": ["listChanged": false]], instructions: instructions)
    }

    public func send(_ request: BackendRequest, observer: any BackendRequestObserver) async throws -> Result<
        JSONValue, JSONRPC.Failure
    > {
        switch request.method {
        case "tools/list":
            let listed = DiscordCatalog.visible(under: settings.policy).map {
                $0.definition(confirmationRequired: settings.policy.requireConfirmation)
            }
            return .success(["tools": .array(listed)])
        case "tools/call":
            guard let toolName = request.params["name"]?.stringValue, let tool = tools[toolName] else {
                return .failure(
                    .init(code: JSONRPC.invalidParams, message: "Unknown tool: \(request.params["name"]?.stringValue ?? "")"))
            }
            guard DiscordCatalog.visible(under: settings.policy).contains(where: { $0.name == toolName }) else {
                let reason =
                    settings.policy.readOnly && tool.isWrite
                    ? "the Discord backend is read-only (DISCORD_READ_ONLY)" : "direct messages are off (DISCORD_ALLOW_DMS)"
                return .success(ToolOutput("Refused: \(reason).").result(isError: true))
            }
            let arguments: [String: JSONValue]
            switch request.params["arguments"]?.materialized {
            case nil, .null?: arguments = [:]
            case .object(let fields)?: arguments = fields
            default: return .failure(.init(code: JSONRPC.invalidParams, message: "arguments must be an object"))
            }
            return .success(await runner.call(tool, arguments: arguments, request: request, observer: observer))
        case "ping":
            return .success([:])
        default:
            return .failure(.init(code: JSONRPC.methodNotFound, message: "The Discord backend has no method \(request.method)"))
        }
    }

    public func endSession(_ key: String) async {}

    public func shutdown() async {}
}
