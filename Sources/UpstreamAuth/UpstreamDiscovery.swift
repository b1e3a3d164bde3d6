import Foundation
import MCPCore

/// Finds how an OAuth-protected MCP server is signed in to: its RFC 9728 metadata (from the 401's
/// `resource_metadata`, else the well-known paths), then its authorization server's RFC 8414 or OpenID metadata,
/// each checked against what the MCP authorization rules demand before the gateway acts on it.
struct UpstreamDiscovery: Sendable {
    let http: UpstreamHTTP

    /// `metadataURL`: where the backend's own 401 challenge said its metadata is (tried first).
    func discover(resource url: String, metadataURL: String? = nil) async throws(UpstreamAuthError) -> UpstreamServer {
        let resourceMetadata = try await protectedResourceMetadata(of: url, advertised: metadataURL)
        guard Self.sameResource(resourceMetadata.resource, url) else {
            throw .badMetadata("its resource is \(resourceMetadata.resource), not the backend's URL \(url)")
        }
        guard let issuer = resourceMetadata.authorizationServers?.first else {
            throw .badMetadata("its protected resource metadata names no authorization server")
        }
        let metadata = try await authorizationServerMetadata(issuer: issuer)
        return UpstreamServer(
            resource: resourceMetadata.resource, authorizationServer: metadata,
            scopes: resourceMetadata.scopesSupported ?? [])
    }

    private func protectedResourceMetadata(of url: String, advertised: String?) async throws(UpstreamAuthError)
        -> ProtectedResourceMetadata
    {
        var candidates: [String] = []
        if let advertised { candidates.append(advertised) }
        candidates += Self.wellKnown("oauth-protected-resource", for: url)
        for candidate in candidates {
            let answer = try await http.get(candidate, what: "the protected resource metadata")
            if answer.status == 404 { continue }
            return try Self.decode(
                ProtectedResourceMetadata.self, answer, what: "the protected resource metadata at \(candidate)")
        }
        throw .badMetadata("no protected resource metadata at \(candidates.joined(separator: " or "))")
    }

    private func authorizationServerMetadata(issuer: String) async throws(UpstreamAuthError)
        -> AuthorizationServerMetadata
    {
        let candidates =
            Self.wellKnown("oauth-authorization-server", for: issuer) + Self.wellKnown("openid-configuration", for: issuer)
            + [issuer.hasSuffix("/") ? issuer + ".well-known/openid-configuration" : issuer + "/.well-known/openid-configuration"]
        var tried: [String] = []
        for candidate in candidates where !tried.contains(candidate) {
            tried.append(candidate)
            let answer = try await http.get(candidate, what: "the authorization server metadata")
            if answer.status == 404 { continue }
            let metadata = try Self.decode(
                AuthorizationServerMetadata.self, answer, what: "the authorization server metadata at \(candidate)")
            try await validate(metadata, issuer: issuer)
            return metadata
        }
        throw .badMetadata("no authorization server metadata for \(issuer) (tried \(tried.joined(separator: ", ")))")
    }

    /// RFC 8414 §3.3: the issuer must be the one asked for; MCP: PKCE with S256 must be offered; every endpoint the
    /// gateway will call or send a member's browser to must pass the address policy.
    private func validate(_ metadata: AuthorizationServerMetadata, issuer: String) async throws(UpstreamAuthError) {
        guard Self.sameResource(metadata.issuer, issuer) else {
            throw .badMetadata("its issuer is \(metadata.issuer), not \(issuer) where it was fetched for")
        }
        guard metadata.codeChallengeMethodsSupported?.contains("S256") == true else {
            throw .badMetadata("its authorization server does not offer PKCE with S256 (code_challenge_methods_supported)")
        }
        for endpoint in metadata.endpoints {
            _ = try await http.check(endpoint.url, what: "its \(endpoint.name)")
        }
    }

    private static func decode<T: Decodable>(_ type: T.Type, _ answer: UpstreamHTTP.Answer, what: String)
        throws(UpstreamAuthError) -> T
    {
        guard answer.status == 200 else { throw .badMetadata("\(what) answered HTTP \(answer.status)") }
        do {
            return try JSONDecoder().decode(T.self, from: Data(answer.body.readableBytesView))
        } catch {
            throw .badMetadata("\(what) is not the JSON document expected")
        }
    }

    /// RFC 8414 §3.1 / RFC 9728 §3.1: the well-known name goes between the origin and the path.
    static func wellKnown(_ name: String, for url: String) -> [String] {
        guard let components = URLComponents(string: url), let scheme = components.scheme, let host = components.host
        else { return [] }
        let origin = "\(scheme)://\(host)\(components.port.map { ":\($0)" } ?? "")"
        let path = components.percentEncodedPath
        let trimmed = path.hasSuffix("/") ? String(path.dropLast()) : path
        let withPath = "\(origin)/.well-known/\(name)\(trimmed)"
        let atRoot = "\(origin)/.well-known/\(name)"
        return trimmed.isEmpty ? [atRoot] : [withPath, atRoot]
    }

    /// Two URLs name the same resource when they differ at most by a trailing slash.
    static func sameResource(_ lhs: String, _ rhs: String) -> Bool {
        func trimmed(_ text: String) -> String { text.hasSuffix("/") ? String(text.dropLast()) : text }
        return trimmed(lhs) == trimmed(rhs)
    }
}
