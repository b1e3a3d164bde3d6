import MCPCore
import Synchronization

/// The methods of `/mcp`: answered by the gateway (discovery, merged lists) or routed to the owning backend.
public struct GatewayMethods: Sendable {
    let identity: MCPServerIdentity
    let registry: BackendRegistry
    let pageSize: Int
    let auditor: AuditRecorder?
    let shutdownGrace: ShutdownGrace
    let bridge = InteractionBridge()

    public init(
        identity: MCPServerIdentity, registry: BackendRegistry, pageSize: Int = 200, auditor: AuditRecorder? = nil,
        shutdownGrace: ShutdownGrace = ShutdownGrace(limit: .seconds(15))
    ) {
        self.identity = identity
        self.registry = registry
        self.pageSize = pageSize
        self.auditor = auditor
        self.shutdownGrace = shutdownGrace
    }

    /// Results that clients may cache, so they carry `ttlMs` and `cacheScope` in the modern era.
    static let cacheableMethods: Set<String> = [
        "server/discover", "tools/list", "prompts/list", "resources/list", "resources/templates/list", "resources/read",
    ]

    /// The union of what the backends offer (tools always). Lists change whenever a backend comes or goes,
    /// and the gateway says so, so `listChanged` is always true.
    func capabilities() async -> JSONValue {
        var offered: Set<String> = ["tools"]
        for backend in registry.backends {
            guard let description = backend.description else { continue }
            for key in ["prompts", "resources", "completions"] where description.capabilities[key] != nil { offered.insert(key) }
        }
        var capabilities: [String: JSONValue] = ["tools": ["listChanged": true]]
        if offered.contains("prompts") { capabilities["prompts"] = ["listChanged": true] }
        if offered.contains("resources") { capabilities["resources"] = ["listChanged": true, "subscribe": false] }
        if offered.contains("completions") { capabilities["completions"] = [:] }
        return .object(capabilities)
    }

    var instructions: String {
        var text = identity.instructions ?? "mcp-gateway: one endpoint in front of several MCP backends."
        let names = registry.backends.map {
            "\($0.settings.name) (tools prefixed \($0.settings.prefix)\(ExposedNames.separator))"
        }
        if !names.isEmpty { text += " Backends: " + names.joined(separator: ", ") + "." }
        return text
    }

    public func answer(method: String, params: JSONValue?, call incoming: ClientCall) async -> Result<JSONValue, JSONRPC.Failure>
    {
        var call = incoming
        if call.view == nil { call.view = await registry.view(for: call.subject) }
        switch (method, call.era) {
        case ("server/discover", .modern):
            return .success(await discoverResult())
        case ("ping", .handshake), ("logging/setLevel", .handshake):
            return .success([:])
        case ("tools/list", _):
            return await list(.tools, params: params, call: call)
        case ("prompts/list", _):
            return await list(.prompts, params: params, call: call)
        case ("resources/list", _):
            return await list(.resources, params: params, call: call)
        case ("resources/templates/list", _):
            return await list(.resourceTemplates, params: params, call: call)
        case ("tools/call", _):
            return await callTool(params: params, call: call)
        case ("prompts/get", _):
            return await getPrompt(params: params, call: call)
        case ("resources/read", _):
            return await readResource(params: params, call: call)
        case ("completion/complete", _):
            return await complete(params: params, call: call)
        default:
            return .failure(.init(code: JSONRPC.methodNotFound, message: "Method not found", data: .string(method)))
        }
    }

    func discoverResult() async -> JSONValue {
        [
            "supportedVersions": .array(MCPProtocol.supportedVersions.map(JSONValue.string)),
            "capabilities": await capabilities(),
            "instructions": .string(instructions),
        ]
    }

    func initializeResult(version: String) async -> JSONValue {
        [
            "protocolVersion": .string(version),
            "capabilities": await capabilities(),
            "serverInfo": identity.serverInfo,
            "instructions": .string(instructions),
        ]
    }

    // MARK: lists

    private func list(_ kind: CatalogKind, params: JSONValue?, call: ClientCall) async -> Result<JSONValue, JSONRPC.Failure> {
        let items = await registry.merged(kind, view: call.view, reachable: call.mayReach)
        let key = kind == .resources ? "uri" : kind == .resourceTemplates ? "uriTemplate" : "name"
        do {
            let (page, next) = try ListCursor.page(
                items, key: { $0[key]?.stringValue ?? "" }, cursor: params?["cursor"], size: pageSize)
            var result: [String: JSONValue] = [kind.resultKey: .array(page)]
            if let next { result["nextCursor"] = .string(next) }
            if let ttl = registry.smallestTTL(kind, view: call.view) { result["ttlMs"] = .int(ttl) }
            return .success(.object(result))
        } catch {
            return .failure(error)
        }
    }

    // MARK: routed requests

    private func callTool(params: JSONValue?, call: ClientCall) async -> Result<JSONValue, JSONRPC.Failure> {
        guard let name = params?["name"]?.stringValue else {
            return .failure(.init(code: JSONRPC.invalidParams, message: "tools/call needs params.name"))
        }
        guard let route = await route(.tools, exposedName: name, call: call) ?? unlistedRoute(name, call: call) else {
            let why =
                registry.unavailability(ofExposedName: name, view: call.view, reachable: call.mayReach).map { " (\($0))" }
                ?? ""
            return .failure(.init(code: JSONRPC.invalidParams, message: "Unknown tool: \(name)\(why)"))
        }
        var request = backendRequest(
            "tools/call", params: params, renaming: "name", to: route.originalName, route: route, call: call)
        if let definition = registry.toolDefinition(name, view: call.view) {
            request.parameterHeaders = ParameterHeaders.values(schema: definition["inputSchema"], arguments: params?["arguments"])
        }
        let started = ContinuousClock.now
        let backend = route.backend
        let unavailable = BackendFailure()
        let grace = shutdownGrace
        let registry = registry
        let outcome = await bridge.run(request, call: call, target: "tools/call:\(name)") { request, observer in
            await grace.run(scope: request.scope) {
                do {
                    return try await backend.send(request, observer: observer)
                } catch let required as AuthorizationRequired {
                    return await SignInRequest.answer(required, request: request, observer: observer) {
                        // Signing in made the caller a new instance of the backend: the call goes to that one.
                        let view = await registry.view(for: request.subject)
                        guard
                            let again = await registry.route(.tools, exposedName: name, view: view)
                                ?? registry.unlistedRoute(ofExposedName: name, view: view)
                        else { throw required }
                        return try await again.backend.send(request, observer: observer)
                    }
                } catch {
                    unavailable.record(error)
                    return .success(Self.unavailableToolResult(backend: backend.settings.name, error: error))
                }
            }
        }
        let auditOutcome: AuditEvent.Outcome
        switch outcome {
        case .success(let result) where result["resultType"]?.stringValue == "input_required":
            // Not finished: the client answers a question and retries; the retry is what gets recorded.
            return outcome
        case .success(let result):
            if let error = unavailable.error {
                auditOutcome = .failed(Self.reason(error))
            } else {
                auditOutcome = result["isError"]?.boolValue == true ? .toolError : .ok
            }
        case .failure(let failure):
            auditOutcome = .failed(failure.message)
        }
        ToolCallMetrics.record(
            backend: backend.settings.name, tool: route.originalName, outcome: auditOutcome,
            duration: ContinuousClock.now - started)
        auditor?.record(
            .init(
                call: call, backend: backend.settings.name, tool: route.originalName, started: started, outcome: auditOutcome,
                toolResult: backend.settings.auditsResults ? try? outcome.get() : nil),
            arguments: params?["arguments"] ?? [:])
        return outcome
    }

    private func getPrompt(params: JSONValue?, call: ClientCall) async -> Result<JSONValue, JSONRPC.Failure> {
        guard let name = params?["name"]?.stringValue else {
            return .failure(.init(code: JSONRPC.invalidParams, message: "prompts/get needs params.name"))
        }
        guard let route = await route(.prompts, exposedName: name, call: call) else {
            return .failure(.init(code: JSONRPC.invalidParams, message: "Unknown prompt: \(name)"))
        }
        let request = backendRequest(
            "prompts/get", params: params, renaming: "name", to: route.originalName, route: route, call: call)
        return await forward(request, route: route, call: call, target: "prompts/get:\(name)")
    }

    private func readResource(params: JSONValue?, call: ClientCall) async -> Result<JSONValue, JSONRPC.Failure> {
        guard let uri = params?["uri"]?.stringValue else {
            return .failure(.init(code: JSONRPC.invalidParams, message: "resources/read needs params.uri"))
        }
        guard let route = await routeResource(uri, call: call) else {
            return .failure(.init(code: JSONRPC.invalidParams, message: "Resource not found", data: ["uri": .string(uri)]))
        }
        let request = backendRequest(
            "resources/read", params: params, renaming: "uri", to: route.originalName, route: route, call: call)
        let result = await forward(request, route: route, call: call, target: "resources/read:\(uri)")
        // The contents name their URIs as the backend knows them; clients know them by the exposed form.
        return result.map { value in
            guard case .object(var fields) = value, case .array(let contents)? = fields["contents"] else { return value }
            fields["contents"] = .array(
                contents.map { item in
                    guard case .object(var content) = item, let original = content["uri"]?.stringValue else { return item }
                    content["uri"] = .string(ExposedNames.resourceURI(original, uriPrefix: route.backend.uriPrefix))
                    return .object(content)
                })
            return .object(fields)
        }
    }

    private func complete(params: JSONValue?, call: ClientCall) async -> Result<JSONValue, JSONRPC.Failure> {
        let empty: JSONValue = ["completion": ["values": [], "hasMore": false]]
        guard case .object(var reference)? = params?["ref"], let type = reference["type"]?.stringValue else {
            return .failure(.init(code: JSONRPC.invalidParams, message: "completion/complete needs params.ref"))
        }
        let route: BackendRegistry.Route?
        switch type {
        case "ref/prompt":
            route = await reference["name"]?.stringValue.asyncFlatMap { await self.route(.prompts, exposedName: $0, call: call) }
            if let route { reference["name"] = .string(route.originalName) }
        case "ref/resource":
            route = await reference["uri"]?.stringValue.asyncFlatMap { await routeResource($0, call: call) }
            if let route { reference["uri"] = .string(route.originalName) }
        default:
            route = nil
        }
        guard let route else { return .success(empty) }
        guard case .object(var fields)? = params else { return .success(empty) }
        fields["ref"] = .object(reference)
        let request = backendRequest(
            "completion/complete", params: .object(fields), renaming: nil, to: "", route: route, call: call)
        return await forward(request, route: route, call: call, target: nil)
    }

    /// The route behind an exposed name, if the caller may reach its backend: to any other caller that backend
    /// does not exist.
    private func route(_ kind: CatalogKind, exposedName: String, call: ClientCall) async -> BackendRegistry.Route? {
        guard let route = await registry.route(kind, exposedName: exposedName, view: call.view),
            call.mayReach(route.backend.settings.name)
        else { return nil }
        return route
    }

    private func unlistedRoute(_ exposedName: String, call: ClientCall) -> BackendRegistry.Route? {
        guard let route = registry.unlistedRoute(ofExposedName: exposedName, view: call.view),
            call.mayReach(route.backend.settings.name)
        else { return nil }
        return route
    }

    private func routeResource(_ uri: String, call: ClientCall) async -> BackendRegistry.Route? {
        guard let route = registry.routeResource(uri, view: call.view), call.mayReach(route.backend.settings.name)
        else { return nil }
        return route
    }

    /// Sends a request to its backend; `target` (method and exposed name) lets the backend ask the client questions.
    private func forward(_ request: BackendRequest, route: BackendRegistry.Route, call: ClientCall, target: String?) async
        -> Result<JSONValue, JSONRPC.Failure>
    {
        let backend = route.backend
        let grace = shutdownGrace
        let send: InteractionBridge.Send = { request, observer in
            await grace.run(scope: request.scope) {
                do {
                    return try await backend.send(request, observer: observer)
                } catch {
                    return .failure(
                        .init(
                            code: JSONRPC.internalError, message: "Backend \(backend.settings.name) failed: \(Self.reason(error))"
                        ))
                }
            }
        }
        // Only requests that may take a while can ask the client something on the way.
        guard let target else { return await send(request, call.observer) }
        return await bridge.run(request, call: call, target: target, send: send)
    }

    /// The client's params as the backend should get them: its own name, without the client's envelope keys.
    private func backendRequest(
        _ method: String, params: JSONValue?, renaming field: String?, to original: String, route: BackendRegistry.Route,
        call: ClientCall
    ) -> BackendRequest {
        var fields = params?.objectValue ?? [:]
        if let field { fields[field] = .string(original) }
        if case .object(var meta)? = fields["_meta"] {
            for key in [
                MCPProtocol.MetaKey.protocolVersion, MCPProtocol.MetaKey.clientCapabilities, MCPProtocol.MetaKey.clientInfo,
            ] {
                meta[key] = nil
            }
            fields["_meta"] = meta.isEmpty ? nil : .object(meta)
        }
        var request = BackendRequest(
            method: method, params: .object(fields), clientCapabilities: call.clientCapabilities, sessionKey: call.sessionKey,
            timeout: route.backend.settings.timeout)
        request.subject = call.subject
        request.scope = call.scope
        return request
    }

    static func reason(_ error: any Error) -> String {
        if error is CancellationError { return "cancelled" }
        return (error as? BackendError)?.description ?? "\(error)"
    }

    /// A call to a backend that cannot answer is a tool error the model can read, not a protocol error.
    static func unavailableToolResult(backend: String, error: any Error) -> JSONValue {
        [
            "content": [["type": "text", "text": .string("Backend \"\(backend)\" could not run this tool: \(reason(error)).")]],
            "isError": true,
        ]
    }

    /// Adds what every modern result carries: `resultType`, the server's identity, and cache hints on lists.
    func decorateModern(_ result: JSONValue, method: String) -> JSONValue {
        guard case .object(var fields) = result else { return result }
        if fields["resultType"] == nil { fields["resultType"] = "complete" }
        var meta = fields["_meta"]?.objectValue ?? [:]
        meta[MCPProtocol.MetaKey.serverInfo] = identity.serverInfo
        fields["_meta"] = .object(meta)
        if Self.cacheableMethods.contains(method) {
            if fields["ttlMs"] == nil { fields["ttlMs"] = 0 }
            // The catalog depends on who asks once backends and policies apply per token.
            if fields["cacheScope"] == nil { fields["cacheScope"] = "private" }
        }
        return .object(fields)
    }
}

/// Remembers why a backend could not be asked, from inside the closure that asks it.
final class BackendFailure: Sendable {
    private let stored = Mutex<(any Error)?>(nil)

    func record(_ error: any Error) { stored.withLock { $0 = error } }
    var error: (any Error)? { stored.withLock { $0 } }
}

extension Optional {
    func asyncFlatMap<Mapped>(_ transform: (Wrapped) async -> Mapped?) async -> Mapped? {
        guard let value = self else { return nil }
        return await transform(value)
    }
}
