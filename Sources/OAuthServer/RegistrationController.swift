import Foundation
import HTTPTypes
import Hummingbird
import MCPCore

/// RFC 7591 dynamic client registration, open to anyone: approval happens on the consent page.
public struct RegistrationController<Context: RequestContext>: Sendable {
    let configuration: OAuthConfiguration
    let clients: any ClientStore
    let now: @Sendable () -> Date
    static var bodyLimit: Int { 16 * 1024 }

    public init(configuration: OAuthConfiguration, clients: any ClientStore, now: @escaping @Sendable () -> Date = Date.init) {
        self.configuration = configuration
        self.clients = clients
        self.now = now
    }

    public func addRoutes(to router: some RouterMethods<Context>) {
        for path in ["/oauth/register", "/register"] {
            router.post(RouterPath(path)) { request, _ in await register(request) }
        }
    }

    func register(_ incoming: Request) async -> Response {
        var request = incoming
        do {
            let body = try await request.collectBody(limit: Self.bodyLimit)
            guard let metadata = try? JSONValue.parse(body.readableBytesView), case .object(let fields) = metadata else {
                throw OAuthError.invalidClientMetadata("the body must be a JSON object of client metadata")
            }
            let validated = try ClientMetadataValidator.validate(fields)
            let issuedAt = now()
            let clientID = configuration.clientIDPrefix + TokenCrypto.generateToken(byteCount: 18)
            let secret = validated.authMethod == .none ? nil : TokenCrypto.generateToken()

            var echoed = fields
            echoed["redirect_uris"] = .array(validated.redirectURIs.map(JSONValue.string))
            echoed["token_endpoint_auth_method"] = .string(validated.authMethod.rawValue)
            echoed["grant_types"] = .array(validated.grantTypes.map(JSONValue.string))
            echoed["response_types"] = ["code"]
            echoed["client_id"] = .string(clientID)
            echoed["client_id_issued_at"] = .int(Int64(issuedAt.timeIntervalSince1970))
            echoed["client_secret"] = nil
            echoed["client_secret_expires_at"] = nil
            let storedMetadata = JSONValue.object(echoed).serializedString
            if let secret {
                echoed["client_secret"] = .string(secret)
                echoed["client_secret_expires_at"] = 0
            }

            try await clients.insertClient(
                OAuthClient(
                    id: clientID, kind: .registered, name: validated.name, redirectURIs: validated.redirectURIs,
                    authMethod: validated.authMethod, secretHash: secret.map(TokenCrypto.hash),
                    metadataJSON: storedMetadata, createdAt: issuedAt
                )
            )
            OAuthMetrics.registration("registered")
            return OAuthResponses.json(.object(echoed), status: .created)
        } catch let error as OAuthError {
            OAuthMetrics.registration(error.code)
            return OAuthResponses.error(error)
        } catch {
            OAuthMetrics.registration("server_error")
            return OAuthResponses.error(OAuthError("server_error", "could not store the client", status: .serviceUnavailable))
        }
    }
}

/// The client metadata rules shared by registration and metadata documents.
public enum ClientMetadataValidator {
    public struct Validated: Sendable {
        public var redirectURIs: [String]
        public var grantTypes: [String]
        public var authMethod: ClientAuthMethod
        public var name: String?
    }

    static let allowedGrantTypes: Set<String> = ["authorization_code", "refresh_token"]

    public static func validate(_ fields: [String: JSONValue]) throws(OAuthError) -> Validated {
        guard case .array(let rawURIs)? = fields["redirect_uris"], !rawURIs.isEmpty else {
            throw .invalidRedirectURI("redirect_uris is required: a non-empty array of URLs")
        }
        guard rawURIs.count <= 20 else { throw .invalidRedirectURI("at most 20 redirect_uris") }
        var redirectURIs: [String] = []
        for raw in rawURIs {
            guard let uri = raw.stringValue else { throw .invalidRedirectURI("each redirect URI must be a string") }
            if let problem = RedirectURIPolicy.problem(with: uri) { throw .invalidRedirectURI("\(problem): \(uri)") }
            redirectURIs.append(uri)
        }

        var grantTypes = ["authorization_code", "refresh_token"]
        if let raw = fields["grant_types"] {
            guard let list = raw.arrayValue?.compactMap(\.stringValue), list.count == raw.arrayValue?.count, !list.isEmpty
            else { throw .invalidClientMetadata("grant_types must be a non-empty array of strings") }
            if let unsupported = list.first(where: { !allowedGrantTypes.contains($0) }) {
                throw .invalidClientMetadata(
                    "unsupported grant type \(unsupported); supported: authorization_code, refresh_token")
            }
            grantTypes = list
        }
        if let raw = fields["response_types"] {
            guard let list = raw.arrayValue?.compactMap(\.stringValue), list.count == raw.arrayValue?.count,
                list.allSatisfy({ $0 == "code" })
            else { throw .invalidClientMetadata("response_types may only contain \"code\"") }
        }

        var authMethod = ClientAuthMethod.none
        if let raw = fields["token_endpoint_auth_method"] {
            guard let name = raw.stringValue, let method = ClientAuthMethod(rawValue: name) else {
                throw .invalidClientMetadata("token_endpoint_auth_method must be none, client_secret_post or client_secret_basic")
            }
            authMethod = method
        }
        if let raw = fields["application_type"] {
            guard let type = raw.stringValue, type == "native" || type == "web" else {
                throw .invalidClientMetadata("application_type must be native or web")
            }
        }
        var name: String?
        if let raw = fields["client_name"] {
            guard let value = raw.stringValue, value.count <= 200 else {
                throw .invalidClientMetadata("client_name must be a string of at most 200 characters")
            }
            name = value
        }
        if let raw = fields["scope"], raw.stringValue == nil {
            throw .invalidClientMetadata("scope must be a space-separated string")
        }
        return Validated(redirectURIs: redirectURIs, grantTypes: grantTypes, authMethod: authMethod, name: name)
    }
}
