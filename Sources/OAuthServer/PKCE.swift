import Crypto
import Foundation

/// Proof Key for Code Exchange (RFC 7636), S256 only.
public enum PKCE {
    /// A verifier or S256 challenge: 43–128 characters of the unreserved set.
    static func isWellFormed(_ value: String, lengths: ClosedRange<Int>) -> Bool {
        lengths.contains(value.utf8.count)
            && value.utf8.allSatisfy { byte in
                switch byte {
                case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                    UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                    UInt8(ascii: "~"):
                    return true
                default:
                    return false
                }
            }
    }

    /// An S256 challenge is the base64url of a SHA-256: exactly 43 characters.
    public static func isValidChallenge(_ challenge: String) -> Bool {
        challenge.utf8.count == 43 && isWellFormed(challenge, lengths: 43...43) && !challenge.contains(".")
            && !challenge.contains("~")
    }

    public static func isValidVerifier(_ verifier: String) -> Bool {
        isWellFormed(verifier, lengths: 43...128)
    }

    public static func challenge(for verifier: String) -> String {
        TokenCrypto.base64URL(Data(SHA256.hash(data: Data(verifier.utf8))))
    }

    public static func verify(verifier: String, challenge: String) -> Bool {
        isValidVerifier(verifier) && TokenCrypto.constantTimeEquals(Self.challenge(for: verifier), challenge)
    }
}
