import AsyncHTTPClient
import Synchronization

/// The one HTTP client of the HTTP, SSE and Discord backends, made when the first such backend is (at start or by a
/// reload), so a gateway without them has none to shut down.
final class BackendHTTPClient: Sendable {
    private let client = Mutex<HTTPClient?>(nil)

    var shared: HTTPClient {
        client.withLock { client in
            if let client { return client }
            let made = Self.make()
            client = made
            return made
        }
    }

    func shutdown() async {
        let made = client.withLock { client in
            defer { client = nil }
            return client
        }
        try? await made?.shutdown()
    }

    private static func make() -> HTTPClient {
        HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration())
    }

    /// A client of its own for one member backend, connecting to `address` whenever it is asked for `host`.
    static func pinned(host: String, address: String) -> HTTPClient {
        var configuration = configuration()
        configuration.dnsOverride = [host: address]
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    private static func configuration() -> HTTPClient.Configuration {
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow, timeout: .init(connect: .seconds(10)),
            connectionPool: .init(idleTimeout: .seconds(60)))
        configuration.httpVersion = .automatic
        // A refused connection fails the call at once; the per-backend circuit breaker decides when to try again.
        configuration.connectionPool.retryConnectionEstablishment = false
        // Streams (event streams, slow calls) each hold a connection; the default of 8 per host would queue calls.
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 256
        return configuration
    }
}
