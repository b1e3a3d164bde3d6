extension MemberBackendService {
    /// The OAuth fields of `input` on `backend`: `auth` turns each member's own sign-in on or off, and the client
    /// fields need it on. The client secret is sealed under the owner's key like a header.
    func applyOAuth(_ input: BackendInput, to backend: inout MemberBackend, ownerSalt: [UInt8])
        throws(MemberBackendError)
    {
        let setsClientFields = [input.oauthClientID, input.oauthClientSecret, input.oauthScope].contains {
            $0?.isEmpty == false
        }
        switch input.auth {
        case nil: break
        case "oauth": backend.oauth = backend.oauth ?? MemberBackend.OAuth()
        case "none":
            guard !setsClientFields else {
                throw MemberBackendError(.invalid, "auth none takes no oauth_client_id, oauth_client_secret or oauth_scope")
            }
            backend.oauth = nil
            return
        default:
            throw MemberBackendError(.invalid, "auth must be oauth (each member signs in at the upstream) or none")
        }
        guard var oauth = backend.oauth else {
            guard !setsClientFields else {
                throw MemberBackendError(
                    .invalid, "oauth_client_id, oauth_client_secret and oauth_scope are for an OAuth backend: set auth to oauth")
            }
            return
        }
        if let clientID = input.oauthClientID {
            try Self.checkValue(clientID, field: "oauth_client_id", limit: 512)
            oauth.clientID = clientID.isEmpty ? nil : clientID
        }
        if let secret = input.oauthClientSecret {
            try Self.checkValue(secret, field: "oauth_client_secret", limit: limits.valueLength)
            oauth.sealedClientSecret =
                secret.isEmpty
                ? nil : sealer.seal(secret, ownerSalt: ownerSalt, context: backend.sealContextOAuthClientSecret)
        }
        if let scope = input.oauthScope {
            try Self.checkScope(scope)
            oauth.scope = scope.isEmpty ? nil : scope
        }
        guard oauth.sealedClientSecret == nil || oauth.clientID != nil else {
            throw MemberBackendError(.invalid, "oauth_client_secret needs the oauth_client_id it belongs to")
        }
        backend.oauth = oauth
    }

    /// An OAuth backend is a Streamable HTTP backend each member signs in to: it has no member headers, and no
    /// Authorization header of its own (the gateway sends each member's token there).
    static func checkOAuthShape(_ backend: MemberBackend) throws(MemberBackendError) {
        guard backend.oauth != nil else { return }
        guard case .streamableHTTP = backend.transport else {
            throw MemberBackendError(.invalid, "auth oauth is for streamable_http backends")
        }
        guard backend.memberHeaders.isEmpty else {
            throw MemberBackendError(.invalid, "an OAuth backend takes no member_headers: each member signs in instead")
        }
        if backend.sealedHeaders.keys.contains(where: { $0.lowercased() == "authorization" }) {
            throw MemberBackendError(
                .invalid, "an OAuth backend sends each member's own token: remove headers.Authorization")
        }
    }

    /// RFC 6749 §3.3: scope tokens of printable ASCII without `"` and `\`, separated by single spaces.
    static func checkScope(_ scope: String) throws(MemberBackendError) {
        guard scope.utf8.count <= 1000 else { throw MemberBackendError(.limit, "oauth_scope is longer than 1000 bytes") }
        guard !scope.isEmpty else { return }
        let tokens = scope.split(separator: " ", omittingEmptySubsequences: false)
        let valid = tokens.allSatisfy { token in
            !token.isEmpty && token.utf8.allSatisfy { $0 == 0x21 || (0x23...0x5B).contains($0) || (0x5D...0x7E).contains($0) }
        }
        guard valid else {
            throw MemberBackendError(.invalid, "oauth_scope must be scope names separated by single spaces")
        }
    }
}
