import Accounts
import Foundation
import Synchronization

/// A member backend with every field filled in, so that a read-back that drops one shows.
func memberBackend(
    _ id: String, name: String, scope: BackendScope = .global, owner: String = User.operatorID,
    transport: MemberBackend.Transport? = nil, headers: [String: String] = ["Authorization": "sealed-auth"],
    environment: [String: String] = [:], memberHeaders: [String] = ["X-Api-Key"]
) -> MemberBackend {
    MemberBackend(
        id: id, ownerID: owner, scope: scope, name: name,
        transport: transport ?? .streamableHTTP(url: "https://mcp.example/\(name)"), sealedHeaders: headers,
        sealedEnvironment: environment, memberHeaders: memberHeaders, timeoutSeconds: 45, createdAt: now,
        updatedAt: now.addingTimeInterval(60), updatedBy: owner)
}

/// An OAuth backend: each member signs in, with a hand-made client whose secret is sealed.
func oauthBackend(_ id: String, name: String, owner: String = User.operatorID, clientSecret: String? = "sealed-secret")
    -> MemberBackend
{
    var backend = memberBackend(id, name: name, owner: owner, headers: ["X-Extra": "sealed-extra"], memberHeaders: [])
    backend.oauth = MemberBackend.OAuth(clientID: "client-\(id)", sealedClientSecret: clientSecret, scope: "read write")
    return backend
}

/// What a `resealAll` closure was given, in order.
final class ResealLog: Sendable {
    private let values = Mutex<[SealedValue]>([])

    func record(_ value: SealedValue) { values.withLock { $0.append(value) } }

    /// Each value as one comparable line: whose key, which row and field, what was sealed.
    var lines: [String] { values.withLock { $0.map(line) } }
}

func line(_ value: SealedValue) -> String {
    "\(value.userID) | \(value.context.rowID) | \(value.context.field) | \(value.sealed)"
}

struct MidwayFailure: Error {}
