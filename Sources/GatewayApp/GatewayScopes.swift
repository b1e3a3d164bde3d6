/// The scopes of the gateway's tokens. The authorization server only knows them as strings from its configuration.
public enum GatewayScopes {
    /// `/mcp` (and `/status`, as any access token): what an approval on the consent page grants.
    public static let mcp = "mcp"
    /// Read-only operator views: `/status` and `/metrics`.
    public static let status = "status"
    /// `/api/backends`: the operator's scripts managing backends.
    public static let backends = "backends"
    /// What an OAuth client may be granted, the default first.
    public static let oauth = [mcp]
    /// What `mcp-gateway tokens create` may put on a personal token.
    public static let personalToken: Set<String> = [status, mcp, backends]
}
