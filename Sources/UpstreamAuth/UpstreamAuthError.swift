/// Why the gateway could not sign a member in at an upstream server, or keep them signed in. Every message says what
/// went wrong in words an operator can act on; none holds a token.
public enum UpstreamAuthError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The upstream's metadata (or the way it is served) is not something the gateway will act on.
    case badMetadata(String)
    /// The gateway has no way to identify itself at the upstream's authorization server.
    case noClientIdentity(String)
    /// The authorization server refused a request with an OAuth error.
    case refused(error: String, description: String?)
    /// The grant is gone at the upstream (`invalid_grant`): the member must authorize again.
    case grantRevoked
    /// The upstream could not be reached or answered out of protocol.
    case unreachable(String)
    /// The sign-in came back with a `state` the gateway did not issue to this member, or issued long ago.
    case unknownState
    /// The backend is not an OAuth backend this gateway knows.
    case unknownBackend(String)

    public var description: String {
        switch self {
        case .badMetadata(let why): "the upstream's OAuth metadata was refused: \(why)"
        case .noClientIdentity(let why): "the gateway cannot identify itself at the upstream: \(why)"
        case .refused(let error, let description):
            "the upstream's authorization server refused: \(error)\(description.map { " (\($0))" } ?? "")"
        case .grantRevoked: "the upstream no longer accepts this sign-in; connect again"
        case .unreachable(let why): "the upstream could not be reached: \(why)"
        case .unknownState: "this sign-in link is unknown, used or expired, or was started by someone else; start again"
        case .unknownBackend(let name): "there is no OAuth backend named \"\(name)\""
        }
    }
}
