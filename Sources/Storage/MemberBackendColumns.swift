import Accounts
import Foundation
import GRDB

/// How a member backend is laid out in its `member_backends` row: plain columns for what is plain, JSON for what has
/// structure (the scope in `BackendScope`'s own fixed shape, the transport, the sealed maps, the member headers, an
/// OAuth backend's client; NULL for the others).
enum MemberBackendColumns {
    /// The columns an insert or update writes, in this order.
    static let names = [
        "id", "owner_id", "scope", "name_scope", "name", "transport", "sealed_headers", "sealed_environment",
        "member_headers", "timeout_seconds", "created_at", "updated_at", "updated_by", "oauth",
    ]

    static func arguments(for backend: MemberBackend) throws -> StatementArguments {
        [
            backend.id, backend.ownerID, try json(backend.scope), backend.nameScopeKey, backend.name,
            try json(TransportJSON(backend.transport, access: backend.commandAccess)), try json(backend.sealedHeaders),
            try json(backend.sealedEnvironment),
            try json(backend.memberHeaders), backend.timeoutSeconds, backend.createdAt.timeIntervalSince1970,
            backend.updatedAt.timeIntervalSince1970, backend.updatedBy, try backend.oauth.map(json),
        ]
    }

    /// The sealed maps alone, for re-sealing in place.
    static func sealedArguments(for backend: MemberBackend) throws -> StatementArguments {
        [try json(backend.sealedHeaders), try json(backend.sealedEnvironment), try backend.oauth.map(json), backend.id]
    }

    /// The backend in `row`, or nil when any of its columns does not read back as what was written (a hand edit, a
    /// damaged restore): such a row is left out, so that it cannot take every other backend down with it.
    static func backend(from row: Row) -> MemberBackend? {
        do {
            let stored = try decode(TransportJSON.self, row, "transport")
            guard let transport = stored.transport else { return nil }
            var backend = MemberBackend(
                id: try row.decode(String.self, forColumn: "id"),
                ownerID: try row.decode(String.self, forColumn: "owner_id"),
                scope: try decode(BackendScope.self, row, "scope"),
                name: try row.decode(String.self, forColumn: "name"),
                transport: transport,
                sealedHeaders: try decode([String: String].self, row, "sealed_headers"),
                sealedEnvironment: try decode([String: String].self, row, "sealed_environment"),
                memberHeaders: try decode([String].self, row, "member_headers"),
                timeoutSeconds: try row.decode(Int.self, forColumn: "timeout_seconds"),
                oauth: try row.decode(String?.self, forColumn: "oauth").map {
                    try JSONDecoder().decode(MemberBackend.OAuth.self, from: Data($0.utf8))
                },
                createdAt: Date(timeIntervalSince1970: try row.decode(Double.self, forColumn: "created_at")),
                updatedAt: Date(timeIntervalSince1970: try row.decode(Double.self, forColumn: "updated_at")),
                updatedBy: try row.decode(String.self, forColumn: "updated_by"))
            backend.commandAccess = stored.sandbox ?? MemberBackend.CommandAccess()
            return backend
        } catch {
            return nil
        }
    }

    private static func json(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    private static func decode<Value: Decodable>(_ type: Value.Type, _ row: Row, _ column: String) throws -> Value {
        try JSONDecoder().decode(type, from: Data(try row.decode(String.self, forColumn: column).utf8))
    }
}

/// A transport as its column holds it: `{"type":"streamable_http"|"sse","url":…}` or
/// `{"type":"stdio","command":…,"arguments":[…],"sandbox":{"network":…,"binds":[…]}}`.
struct TransportJSON: Codable {
    var type: String
    var url: String?
    var command: String?
    var arguments: [String]?
    var sandbox: MemberBackend.CommandAccess?

    init(_ transport: MemberBackend.Transport, access: MemberBackend.CommandAccess) {
        type = transport.name
        switch transport {
        case .streamableHTTP(let url), .sse(let url):
            self.url = url
        case .stdio(let command, let arguments):
            self.command = command
            self.arguments = arguments
            self.sandbox = access
        }
    }

    /// Nil for an unknown type or a missing field: a transport that lost its address must not become another one.
    var transport: MemberBackend.Transport? {
        switch type {
        case "streamable_http": url.map { .streamableHTTP(url: $0) }
        case "sse": url.map { .sse(url: $0) }
        case "stdio": command.map { .stdio(command: $0, arguments: arguments ?? []) }
        default: nil
        }
    }
}
