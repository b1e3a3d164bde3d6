import Foundation

/// Where member backends and members' own credentials are kept. Storage implements it on SQLite;
/// `InMemoryMemberBackendStore` is the reference for tests and the conformance suite.
public protocol MemberBackendStore: Sendable {
    /// Throws `MemberBackendStoreError.nameTaken` when its scope already has a backend of that name.
    func insertBackend(_ backend: MemberBackend) async throws
    /// Replaces the stored row (same id); false when there is none. Throws `.nameTaken` like insert.
    func updateBackend(_ backend: MemberBackend) async throws -> Bool
    /// Removes the backend and every member's credentials for it; false when there was none.
    func deleteBackend(id: String) async throws -> Bool
    func backend(id: String) async throws -> MemberBackend?
    /// Every member backend, by name then id.
    func allBackends() async throws -> [MemberBackend]

    /// A member's own sealed value for one of a backend's member headers; nil removes it.
    func setMemberCredential(backendID: String, userID: String, header: String, sealed: String?) async throws
    /// A member's sealed values for a backend, by header name.
    func memberCredentials(backendID: String, userID: String) async throws -> [String: String]

    /// The sealed marker that tells whether the master key is the one the rows were sealed with.
    func sealingKeyCheck() async throws -> String?
    func setSealingKeyCheck(_ check: String) async throws

    /// Re-seals every sealed value (backends' and members') and the key check in one transaction: `reseal` gets each
    /// value with whose key and what context sealed it, and returns the new sealed value; any throw changes nothing.
    func resealAll(keyCheck: String, _ reseal: @Sendable (SealedValue) throws -> String) async throws
}

/// One sealed value as the store holds it.
public struct SealedValue: Sendable {
    /// Whose key sealed it: its salt is that user's.
    public var userID: String
    public var context: SealContext
    public var sealed: String

    public init(userID: String, context: SealContext, sealed: String) {
        self.userID = userID
        self.context = context
        self.sealed = sealed
    }
}

public enum MemberBackendStoreError: Error, Equatable, CustomStringConvertible {
    case nameTaken(String)

    public var description: String {
        switch self {
        case .nameTaken(let name): "a backend named \(name) already exists in this scope"
        }
    }
}
