import Crypto
import Foundation
import _CryptoExtras

/// The operator password as an scrypt hash: `scrypt:<log2 N>:<r>:<p>:<salt>:<key base64>`.
/// No `$` in it, so it survives shells and Compose `.env` interpolation unquoted.
public enum PasswordHasher {
    public static let minimumLength = 12
    public static let defaultLogN = 15
    static let blockSize = 8
    static let parallelism = 1
    static let keyLength = 32

    public enum Failure: Error, Equatable {
        case malformedHash
    }

    public static func hash(_ password: String, logN: Int = defaultLogN) throws -> String {
        let salt = TokenCrypto.generateToken(byteCount: 16)
        let key = try derive(password, salt: Data(salt.utf8), logN: logN, r: blockSize, p: parallelism)
        return ["scrypt", String(logN), String(blockSize), String(parallelism), salt, key.base64EncodedString()]
            .joined(separator: ":")
    }

    /// Whether `hash` has the shape `hash(_:)` produces, so a bad OAUTH_PASSWORD_HASH is caught at startup.
    public static func isWellFormed(_ hash: String) -> Bool {
        (try? parse(hash)) != nil
    }

    public static func verify(_ password: String, against hash: String) -> Bool {
        guard let parsed = try? parse(hash),
            let derived = try? derive(password, salt: Data(parsed.salt.utf8), logN: parsed.logN, r: parsed.r, p: parsed.p)
        else { return false }
        return TokenCrypto.constantTimeEquals(derived, parsed.key)
    }

    private struct Parsed {
        var logN: Int
        var r: Int
        var p: Int
        var salt: String
        var key: Data
    }

    private static func parse(_ hash: String) throws(Failure) -> Parsed {
        let parts = hash.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 6, parts[0] == "scrypt",
            let logN = Int(parts[1]), (10...20).contains(logN),
            let r = Int(parts[2]), (1...32).contains(r),
            let p = Int(parts[3]), (1...16).contains(p),
            !parts[4].isEmpty,
            let key = Data(base64Encoded: parts[5]), key.count >= 16
        else { throw .malformedHash }
        return Parsed(logN: logN, r: r, p: p, salt: parts[4], key: key)
    }

    private static func derive(_ password: String, salt: Data, logN: Int, r: Int, p: Int) throws -> Data {
        let key = try KDF.Scrypt.deriveKey(
            from: Data(password.utf8), salt: salt, outputByteCount: keyLength,
            rounds: 1 << logN, blockSize: r, parallelism: p
        )
        return key.withUnsafeBytes { Data($0) }
    }
}
