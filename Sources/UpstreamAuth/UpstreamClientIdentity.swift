import Accounts
import Foundation
import MCPCore

extension UpstreamAuthorizations {
    /// How the gateway identifies itself at `backend`'s authorization server, in this order: the client the operator
    /// configured; the gateway's Client ID Metadata Document, where the server fetches such documents; the client it
    /// registered there earlier, else a new RFC 7591 registration, kept for next time.
    func clientIdentity(for backend: UpstreamBackendAuth, server: UpstreamServer) async throws(UpstreamAuthError)
        -> ClientIdentity
    {
        let metadata = server.authorizationServer
        if let id = backend.clientID {
            let methods = metadata.tokenEndpointAuthMethodsSupported ?? ["client_secret_basic"]
            let method =
                backend.clientSecret == nil
                ? "none" : methods.contains("client_secret_basic") ? "client_secret_basic" : "client_secret_post"
            return ClientIdentity(id: id, secret: backend.clientSecret, authMethod: method, source: .configured)
        }
        if metadata.clientIDMetadataDocumentSupported == true {
            return ClientIdentity(id: urls.clientMetadata, secret: nil, authMethod: "none", source: .metadataDocument)
        }
        if let stored = try? await store.registeredClient(backend: backend.name), stored.issuer == metadata.issuer {
            let secret = await openClientSecret(stored)
            if stored.sealedClientSecret == nil || secret != nil {
                return ClientIdentity(id: stored.clientID, secret: secret, authMethod: stored.authMethod, source: .registered)
            }
        }
        guard let endpoint = metadata.registrationEndpoint else {
            throw .noClientIdentity(
                "its authorization server offers neither dynamic registration nor client metadata documents; "
                    + "register a client there with the redirect URI \(urls.callback) and set the backend's "
                    + "oauth_client_id (and oauth_client_secret)")
        }
        return try await register(backend, at: endpoint, issuer: metadata.issuer)
    }

    /// The gateway's client metadata, as its document and as its registration request.
    public nonisolated func clientMetadata(clientID: String? = nil) -> JSONValue {
        var document: [String: JSONValue] = [
            "client_name": "mcp-gateway", "client_uri": .string(urls.issuer),
            "redirect_uris": [.string(urls.callback)], "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"], "token_endpoint_auth_method": "none",
        ]
        if let clientID { document["client_id"] = .string(clientID) }
        return .object(document)
    }

    private func register(_ backend: UpstreamBackendAuth, at endpoint: String, issuer: String)
        async throws(UpstreamAuthError) -> ClientIdentity
    {
        var request = clientMetadata().objectValue ?? [:]
        if let scope = backend.scope { request["scope"] = .string(scope) }
        let answer = try await http.postJSON(endpoint, .object(request), what: "the registration endpoint")
        let json = answer.json
        guard answer.status == 201 || answer.status == 200, let clientID = json?["client_id"]?.stringValue, !clientID.isEmpty
        else {
            let error = json?["error"]?.stringValue ?? "HTTP \(answer.status)"
            throw .refused(error: error, description: json?["error_description"]?.stringValue.map { String($0.prefix(200)) })
        }
        let secret = json?["client_secret"]?.stringValue
        let method = secret == nil ? "none" : (json?["token_endpoint_auth_method"]?.stringValue ?? "client_secret_basic")
        var sealed: String?
        if let secret, let salt = await salts(UpstreamSealing.clientOwner) {
            sealed = sealer.seal(secret, ownerSalt: salt, context: UpstreamSealing.clientContext(backend: backend.name))
        }
        let record = UpstreamClient(
            backend: backend.name, issuer: issuer, clientID: clientID, sealedClientSecret: sealed, authMethod: method,
            registeredAt: now())
        try? await store.saveRegisteredClient(record)
        logger.info("registered at an upstream authorization server", metadata: ["backend": "\(backend.name)"])
        return ClientIdentity(id: clientID, secret: secret, authMethod: method, source: .registered)
    }

    private func openClientSecret(_ client: UpstreamClient) async -> String? {
        guard let sealed = client.sealedClientSecret, let salt = await salts(UpstreamSealing.clientOwner) else { return nil }
        return try? sealer.open(sealed, ownerSalt: salt, context: UpstreamSealing.clientContext(backend: client.backend))
    }

}
