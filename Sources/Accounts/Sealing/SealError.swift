/// Why a sealed secret did not open. The messages name the likely cause for an operator and
/// never carry plaintext, ciphertext or key material.
public enum SealError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Not a `v1:` value of a possible length: damaged, truncated, or never sealed.
    case malformed
    /// Sealed by a format version this build does not know (written by a newer gateway).
    case unsupportedVersion
    /// The key or the context is not the one it was sealed under, or the value was altered.
    case authenticationFailed

    public var description: String {
        switch self {
        case .malformed:
            "the sealed secret is damaged or not a sealed value (expected v1: and base64url)"
        case .unsupportedVersion:
            "the sealed secret uses a format version this gateway does not know; run a newer version"
        case .authenticationFailed:
            "the sealed secret does not open: wrong GATEWAY_MASTER_KEY, or the value was altered or moved to another row or field"
        }
    }
}
