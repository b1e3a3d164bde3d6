import Foundation
import HTTPTypes
import Hummingbird
import Logging
import MCPGateway
import Mustache
import NIOCore
import OAuthServer
import Storage

/// Builds the whole gateway: storage, the authorization server, `/mcp`, health and status, and background services.
/// `announce` receives a password generated on first start, to show it to the operator once.
public func buildApplication(
    settings: GatewaySettings, logger: Logger, announce: @escaping @Sendable (String) -> Void
) async throws -> some ApplicationProtocol {
    try settings.validate()

    let database: GatewayDatabase
    do {
        database = try GatewayDatabase(path: settings.databasePath)
    } catch {
        throw SettingsError(GatewaySettings.Name.databasePath, "\(error)")
    }
    let pages = try await loadPages(directory: settings.templatesDirectory)
    let passwordHash = try await OperatorPassword.resolveHash(settings: settings, store: database, announce: announce)

    var oauth = OAuthConfiguration(
        issuer: settings.normalizedIssuer,
        accessTokenTTL: TimeInterval(settings.accessTokenTTL),
        refreshTokenTTL: TimeInterval(settings.refreshTokenTTL),
        refreshReuseGrace: TimeInterval(settings.refreshReuseGrace))
    oauth.allowLoopbackMetadataDocuments = settings.allowLoopbackMetadataDocumentsForTests

    let metadataDocuments = ClientMetadataDocumentResolver(
        allowLoopback: settings.allowLoopbackMetadataDocumentsForTests, logger: logger)

    // All grant traffic goes through the cache, so every revocation made here also clears it.
    let grants = CachingGrantStore(database)
    let sessions = SessionRegistry()
    let bearer = BearerAuthenticator(configuration: oauth, grants: grants)
    let health = HealthController<GatewayRequestContext>(grants: grants, startedAt: Date())

    let router = Router(context: GatewayRequestContext.self)
    router.add(middleware: CORSPolicyMiddleware())

    health.addPublicRoutes(to: router)
    MetadataController<GatewayRequestContext>(configuration: oauth).addRoutes(to: router)
    RegistrationController<GatewayRequestContext>(clients: database).addRoutes(to: router)
    AuthorizationController<GatewayRequestContext>(
        configuration: oauth, clients: database, transactions: database, grants: grants,
        metadataDocuments: metadataDocuments, pages: pages, throttle: ConsentThrottle(),
        operatorPasswordHash: passwordHash
    ).addRoutes(to: router)
    TokenController<GatewayRequestContext>(configuration: oauth, clients: database, grants: grants).addRoutes(to: router)

    health.addProtectedRoutes(to: router.group().add(middleware: BearerAuthMiddleware(authenticator: bearer)))
    let mcp = router.group()
        .add(middleware: OriginCheckMiddleware(ownOrigin: oauth.issuer, additionalOrigins: settings.allowedOrigins))
        .add(middleware: BearerAuthMiddleware(authenticator: bearer))
    MCPEndpointController<GatewayRequestContext>(
        identity: MCPServerIdentity(
            version: GatewayVersion.current,
            instructions: "mcp-gateway: one endpoint in front of this deployment's MCP backends."),
        sessions: sessions
    ).addRoutes(to: mcp)

    var app = Application(
        router: router,
        configuration: .init(address: .hostname(settings.bindAddress, port: settings.port), serverName: "mcp-gateway"),
        logger: logger)
    app.addServices(
        Janitor(grants: grants, unusedClientTTL: oauth.unusedClientTTL, interval: .seconds(600), logger: logger),
        SessionJanitor(sessions: sessions, interval: .seconds(60)),
        MetadataResolverShutdown(resolver: metadataDocuments))
    return app
}

private func loadPages(directory: String) async throws -> ConsentPages {
    let library: MustacheLibrary
    do {
        library = try await MustacheLibrary(directory: directory)
    } catch {
        throw SettingsError(GatewaySettings.Name.templatesDirectory, "cannot load the templates in \(directory): \(error)")
    }
    for name in ConsentPages.requiredTemplates where library.getTemplate(named: name) == nil {
        throw SettingsError(
            GatewaySettings.Name.templatesDirectory,
            "\(directory)/\(name).mustache is missing; point \(GatewaySettings.Name.templatesDirectory) at the templates folder")
    }
    return ConsentPages(library: library)
}
