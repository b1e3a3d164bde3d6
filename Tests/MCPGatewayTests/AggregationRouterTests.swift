import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import MCPCore
import NIOCore
import Testing

@testable import MCPGateway

/// An in-process backend: pages its tools by cursor, echoes calls, and fails on demand.
actor FakeBackend: Backend {
    let toolNames: [String]
    let pageSize: Int
    var failing = false
    private(set) var calls: [BackendRequest] = []

    init(tools: [String], pageSize: Int = 50) {
        self.toolNames = tools
        self.pageSize = pageSize
    }

    func setFailing(_ failing: Bool) { self.failing = failing }

    func connect(notifications: @escaping @Sendable (BackendNotification) -> Void) async throws -> BackendDescription {
        if failing { throw BackendError.unreachable("connection refused") }
        return BackendDescription(
            era: .modern(version: "2026-07-28"), serverInfo: nil, capabilities: ["tools": [:]], instructions: nil)
    }

    func send(_ request: BackendRequest, observer: any BackendRequestObserver) async throws -> Result<JSONValue, JSONRPC.Failure>
    {
        calls.append(request)
        if failing { throw BackendError.unreachable("connection refused") }
        switch request.method {
        case "tools/list":
            let start = Int(request.params["cursor"]?.stringValue ?? "0") ?? 0
            let end = min(start + pageSize, toolNames.count)
            var result: [String: JSONValue] = [
                "tools": .array(toolNames[start..<end].map { ["name": .string($0), "inputSchema": ["type": "object"]] })
            ]
            if end < toolNames.count { result["nextCursor"] = .string(String(end)) }
            return .success(.object(result))
        case "tools/call":
            return .success([
                "content": [["type": "text", "text": .string("called \(request.params["name"]?.stringValue ?? "")")]]
            ])
        default:
            return .failure(.init(code: JSONRPC.methodNotFound, message: "Method not found"))
        }
    }

    func endSession(_ key: String) async {}
    func shutdown() async {}
}

struct TestMCPContext: MCPRequestContext {
    var coreContext: CoreRequestContextStorage
    init(source: ApplicationRequestContextSource) { coreContext = .init(source: source) }
    var principal: String? { "grant-1" }
    var clientID: String? { "client-1" }
}

@Suite struct AggregationRouterTests {
    static let meta: JSONValue = [
        "io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientCapabilities": [:],
    ]

    func makeApp(_ backends: [(String, FakeBackend)], pageSize: Int = 100) -> some ApplicationProtocol {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let managed = backends.map { name, backend in
            ManagedBackend(
                settings: .init(
                    name: name, prefix: name, transport: "fake", timeout: .seconds(5),
                    toolFilter: .init(allow: [], deny: ["hidden*"])),
                backend: backend, uriPrefix: name, logger: logger)
        }
        let registry = BackendRegistry(backends: managed, listTimeout: .seconds(2))
        let router = Router(context: TestMCPContext.self)
        MCPEndpointController<TestMCPContext>(
            methods: GatewayMethods(identity: .init(version: "test"), registry: registry, pageSize: pageSize),
            sessions: SessionRegistry()
        ).addRoutes(to: router)
        return Application(router: router, logger: logger)
    }

    func post(_ client: some TestClientProtocol, _ method: String, _ params: JSONValue = [:], name: String? = nil) async throws
        -> JSONValue
    {
        var fields = params.objectValue ?? [:]
        fields["_meta"] = Self.meta
        var headers: HTTPFields = [
            .contentType: "application/json", .accept: "application/json", .mcpProtocolVersion: "2026-07-28", .mcpMethod: method,
        ]
        if let name { headers[.mcpName] = name }
        let response = try await client.execute(
            uri: "/mcp", method: .post, headers: headers,
            body: ByteBuffer(bytes: JSONRPC.request(id: 1, method: method, params: .object(fields)).serializedBytes()))
        return try JSONValue.parse(response.body.readableBytesView)
    }

    @Test func listsAreMergedFollowedPagedAndFiltered() async throws {
        let alpha = FakeBackend(tools: (0..<120).map { String(format: "tool_%03d", $0) } + ["hidden_tool"])
        let beta = FakeBackend(tools: ["search", "tool_000"])
        try await makeApp([("alpha", alpha), ("beta", beta)]).test(.router) { client in
            var names: [String] = []
            var cursor: JSONValue?
            var pages = 0
            repeat {
                let params: JSONValue = cursor.map { ["cursor": $0] } ?? [:]
                let result = try #require(try await post(client, "tools/list", params)["result"])
                names += result["tools"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
                #expect(result["resultType"] == "complete" && result["cacheScope"] == "private")
                cursor = result["nextCursor"]
                pages += 1
            } while cursor != nil
            #expect(pages == 2)
            #expect(names.count == 122)
            #expect(names == names.sorted())
            #expect(names.contains("alpha__tool_119") && names.contains("beta__search") && !names.contains("alpha__hidden_tool"))
        }
    }

    @Test func aCallReachesItsBackendUnderItsOwnNameWithoutTheEnvelope() async throws {
        let alpha = FakeBackend(tools: ["echo"])
        try await makeApp([("alpha", alpha)]).test(.router) { client in
            let reply = try await post(client, "tools/call", ["name": "alpha__echo", "arguments": ["x": 1]], name: "alpha__echo")
            #expect(reply["result"]?["content"]?.arrayValue?.first?["text"] == "called echo")
            // A catalog refresh may reach the backend around the call: the call is the one to read.
            let sent = try #require(await alpha.calls.last { $0.method == "tools/call" })
            // The whole params, so nothing of the client's envelope (`_meta`) can ride along unnoticed.
            let forwarded = sent.params.materialized
            #expect(forwarded == ["name": "echo", "arguments": ["x": 1]])
            // The fetch that waited for the first connection listed it: it is not followed by a second one.
            #expect(await alpha.calls.filter { $0.method == "tools/list" }.count == 1)
        }
    }

    @Test func aDownBackendIsAToolErrorAndItsCircuitOpens() async throws {
        let alpha = FakeBackend(tools: ["echo"])
        try await makeApp([("alpha", alpha)]).test(.router) { client in
            _ = try await post(client, "tools/list")
            await alpha.setFailing(true)
            for _ in 0..<3 {
                let reply = try await post(client, "tools/call", ["name": "alpha__echo"], name: "alpha__echo")
                #expect(reply["result"]?["isError"] == true)
                let text = reply["result"]?["content"]?.arrayValue?.first?["text"]?.stringValue ?? ""
                #expect(text.contains("\"alpha\"") && text.contains("connection refused"))
            }
            let attempts = await alpha.calls.count
            let reply = try await post(client, "tools/call", ["name": "alpha__echo"], name: "alpha__echo")
            #expect(reply["result"]?["content"]?.arrayValue?.first?["text"]?.stringValue?.contains("marked down") == true)
            #expect(await alpha.calls.count == attempts, "an open circuit does not ask the backend")
            let listed = try await post(client, "tools/list")
            #expect(listed["result"]?["tools"]?.arrayValue?.count == 1, "the last good list is still offered")
        }
    }

    @Test func anUnknownToolIsInvalidParams() async throws {
        try await makeApp([("alpha", FakeBackend(tools: ["echo"]))]).test(.router) { client in
            let reply = try await post(client, "tools/call", ["name": "alpha__nope"], name: "alpha__nope")
            #expect(reply["error"]?["code"] == .int(Int64(JSONRPC.invalidParams)))
            #expect(reply["error"]?["message"] == "Unknown tool: alpha__nope")
        }
    }

    @Test func aToolOfABackendThatNeverCameUpSaysWhy() async throws {
        let alpha = FakeBackend(tools: ["echo"])
        await alpha.setFailing(true)
        try await makeApp([("alpha", alpha)]).test(.router) { client in
            let reply = try await post(client, "tools/call", ["name": "alpha__echo"], name: "alpha__echo")
            #expect(reply["error"]?["code"] == .int(Int64(JSONRPC.invalidParams)))
            let message = reply["error"]?["message"]?.stringValue ?? ""
            #expect(message.contains("backend 'alpha' is down") && message.contains("connection refused"), "\(message)")
        }
    }
}
