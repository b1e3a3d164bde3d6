import Foundation

/// Member backends in memory: for tests, and the reference the store conformance suite holds every engine to.
public actor InMemoryMemberBackendStore: MemberBackendStore {
    private var backends: [String: MemberBackend] = [:]
    /// backend id → user id → header → sealed value
    private var credentials: [String: [String: [String: String]]] = [:]
    private var keyCheck: String?

    public init() {}

    public func insertBackend(_ backend: MemberBackend) throws {
        guard backends[backend.id] == nil else { throw InMemoryMemberBackendStoreError.duplicateID(backend.id) }
        try checkName(backend)
        backends[backend.id] = backend
    }

    public func updateBackend(_ backend: MemberBackend) throws -> Bool {
        guard backends[backend.id] != nil else { return false }
        try checkName(backend)
        backends[backend.id] = backend
        return true
    }

    private func checkName(_ backend: MemberBackend) throws {
        if backends.values.contains(where: {
            $0.id != backend.id && $0.nameScopeKey == backend.nameScopeKey && $0.name == backend.name
        }) {
            throw MemberBackendStoreError.nameTaken(backend.name)
        }
    }

    public func deleteBackend(id: String) -> Bool {
        credentials[id] = nil
        return backends.removeValue(forKey: id) != nil
    }

    public func backend(id: String) -> MemberBackend? { backends[id] }

    public func allBackends() -> [MemberBackend] {
        backends.values.sorted { ($0.name, $0.id) < ($1.name, $1.id) }
    }

    public func setMemberCredential(backendID: String, userID: String, header: String, sealed: String?) {
        guard backends[backendID] != nil else { return }
        credentials[backendID, default: [:]][userID, default: [:]][header] = sealed
    }

    public func memberCredentials(backendID: String, userID: String) -> [String: String] {
        credentials[backendID]?[userID] ?? [:]
    }

    public func sealingKeyCheck() -> String? { keyCheck }

    public func setSealingKeyCheck(_ check: String) { keyCheck = check }

    public func resealAll(keyCheck newCheck: String, _ reseal: @Sendable (SealedValue) throws -> String) throws {
        var resealedBackends = backends
        for (id, var backend) in backends {
            for (name, sealed) in backend.sealedHeaders {
                backend.sealedHeaders[name] = try reseal(
                    SealedValue(userID: backend.ownerID, context: backend.sealContext(header: name), sealed: sealed))
            }
            for (name, sealed) in backend.sealedEnvironment {
                backend.sealedEnvironment[name] = try reseal(
                    SealedValue(userID: backend.ownerID, context: backend.sealContext(environment: name), sealed: sealed))
            }
            if let sealed = backend.oauth?.sealedClientSecret {
                let value = SealedValue(userID: backend.ownerID, context: backend.sealContextOAuthClientSecret, sealed: sealed)
                backend.oauth?.sealedClientSecret = try reseal(value)
            }
            resealedBackends[id] = backend
        }
        var resealedCredentials = credentials
        for (backendID, byUser) in credentials {
            guard let backend = backends[backendID] else { continue }
            for (userID, values) in byUser {
                for (header, sealed) in values {
                    resealedCredentials[backendID]?[userID]?[header] = try reseal(
                        SealedValue(
                            userID: userID, context: backend.sealContext(memberHeader: header, userID: userID), sealed: sealed))
                }
            }
        }
        backends = resealedBackends
        credentials = resealedCredentials
        keyCheck = newCheck
    }
}

/// What SQLite's primary key refuses, in memory.
enum InMemoryMemberBackendStoreError: Error, Equatable {
    case duplicateID(String)
}
