import Foundation
import Logging
import OAuthServer

/// Decides the operator password hash at startup: the configured password or hash, else the one generated
/// on a first start (printed once, only its hash kept).
enum OperatorPassword {
    static func resolveHash(settings: GatewaySettings, store: any OperatorCredentialStore, announce: (String) -> Void)
        async throws -> String
    {
        if let hash = settings.passwordHash { return hash }
        if let password = settings.password { return try PasswordHasher.hash(password) }
        if let stored = try await store.operatorPasswordHash() { return stored }
        let generated = generatePassword()
        let hash = try PasswordHasher.hash(generated)
        try await store.setOperatorPasswordHash(hash)
        announce(generated)
        return hash
    }

    /// 20 characters from an alphabet without look-alikes: about 115 bits.
    static func generatePassword(length: Int = 20) -> String {
        let alphabet = Array("ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789")
        var generator = SystemRandomNumberGenerator()
        return String((0..<length).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &generator)] })
    }
}
