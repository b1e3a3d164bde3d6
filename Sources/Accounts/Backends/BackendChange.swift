/// One change to a backend, for the audit trail: who did what to which backend, and which fields; never a value.
public struct BackendChange: Sendable, Equatable {
    public enum Action: String, Sendable {
        case created, updated, deleted
        case credentialSet = "credential_set"
        case credentialRemoved = "credential_removed"
    }

    public var action: Action
    public var backendID: String
    public var name: String
    public var actor: String
    public var owner: String
    /// The fields given (names only; secret ones as `headers.<Name>`, `env.<NAME>`).
    public var fields: [String]
}
