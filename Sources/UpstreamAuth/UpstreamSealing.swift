import Accounts

/// Where each upstream secret is sealed: whose key, and the row and field bound into it as associated data, so a
/// sealed token copied to another row or member does not open. Key rotation reseals with the same contexts.
public enum UpstreamSealing {
    public static func grantContext(backend: String, userID: String, field: Field) -> SealContext {
        SealContext(rowID: "upstream:" + backend + "/" + userID, field: field.rawValue)
    }

    public enum Field: String, Sendable {
        case accessToken = "access_token"
        case refreshToken = "refresh_token"
    }

    /// Registrations belong to the gateway, so their secrets are sealed under the operator's key.
    public static let clientOwner = "operator"

    public static func clientContext(backend: String) -> SealContext {
        SealContext(rowID: "upstream-client:" + backend, field: "client_secret")
    }
}
