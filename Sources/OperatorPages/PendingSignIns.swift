import Foundation
import OAuthServer

/// `/me` sign-ins under way: the hash of each one's state secret, with its PKCE verifier, for ten minutes. A callback
/// takes its entry out, so it works once.
actor PendingSignIns {
    private var entries: [String: (verifier: String, expires: Date)] = [:]
    private let lifetime: TimeInterval = 600
    private let maximumEntries = 10_000

    /// A new sign-in: the secret for `state` and the cookie, and the verifier whose challenge goes to the provider.
    func start(now: Date) -> (secret: String, verifier: String) {
        if entries.count >= maximumEntries { entries = entries.filter { $0.value.expires > now } }
        if entries.count >= maximumEntries, let oldest = entries.min(by: { $0.value.expires < $1.value.expires }) {
            entries[oldest.key] = nil
        }
        let secret = TokenCrypto.generateToken()
        let verifier = TokenCrypto.generateToken()
        entries[TokenCrypto.hash(secret)] = (verifier, now.addingTimeInterval(lifetime))
        return (secret, verifier)
    }

    /// The verifier of the sign-in with this secret, once; nil when unknown, used or expired.
    func finish(secret: String, now: Date) -> String? {
        guard let entry = entries.removeValue(forKey: TokenCrypto.hash(secret)), entry.expires > now else { return nil }
        return entry.verifier
    }
}
