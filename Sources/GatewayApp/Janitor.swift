import Foundation
import Logging
import OAuthServer
import ServiceLifecycle

/// Periodically deletes expired codes, transactions and tokens, and clients that never obtained a token.
struct Janitor: Service {
    let grants: any GrantStore
    let unusedClientTTL: TimeInterval
    let interval: Duration
    let logger: Logger

    func run() async throws {
        // Stopping cancels the sleep; that is the normal way out, not an error.
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await sweep()
                try await Task.sleep(for: interval)
            }
        }
    }

    func sweep() async {
        let now = Date()
        do {
            let summary = try await grants.purge(now: now, unusedClientsBefore: now.addingTimeInterval(-unusedClientTTL))
            if summary != PurgeSummary() {
                logger.info(
                    "janitor purged expired records",
                    metadata: [
                        "tokens": "\(summary.tokens)", "codes": "\(summary.codes)",
                        "transactions": "\(summary.transactions)", "clients": "\(summary.clients)",
                    ])
            }
        } catch {
            logger.error("janitor failed", metadata: ["error": "\(error)"])
        }
    }
}
