import Crypto
import Foundation

/// The one secret from which every owner's sealing key is derived: 32 random bytes, given to the
/// server in base64 (GATEWAY_MASTER_KEY). It never appears in a description, so logging a value
/// that holds one cannot leak it.
public struct MasterKey: Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    static let byteCount = 32

    let key: SymmetricKey

    /// Accepts what people paste: standard base64 or base64url, padded or not, with surrounding
    /// whitespace and newlines (as `openssl rand -base64 32` or a .env file leaves them).
    public init(base64: String) throws(MasterKeyError) {
        let trimmed = base64.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { throw MasterKeyError(found: "it is empty") }
        guard let bytes = Base64URL.decodeLenient(trimmed) else {
            throw MasterKeyError(found: "this is not base64")
        }
        guard bytes.count == Self.byteCount else {
            throw MasterKeyError(found: "this is \(bytes.count) \(bytes.count == 1 ? "byte" : "bytes")")
        }
        self.key = SymmetricKey(data: bytes)
    }

    init(bytes: [UInt8]) {
        precondition(bytes.count == Self.byteCount, "a master key is \(Self.byteCount) bytes")
        self.key = SymmetricKey(data: bytes)
    }

    /// 32 fresh bytes from the system CSPRNG, for `mcp-gateway` to print when none is configured.
    public static func generate() -> MasterKey {
        MasterKey(bytes: SecureBytes.random(count: byteCount))
    }

    /// Standard base64 with padding: the form `openssl rand -base64 32` prints.
    public var base64: String {
        key.withUnsafeBytes { Data($0).base64EncodedString() }
    }

    public var description: String { "MasterKey(…)" }
    public var debugDescription: String { description }
}

/// Why a GATEWAY_MASTER_KEY value was refused; says what is expected and never echoes the value.
public struct MasterKeyError: Error, CustomStringConvertible {
    public let description: String

    init(found: String) {
        description = "GATEWAY_MASTER_KEY must be 32 random bytes in base64 (openssl rand -base64 32); \(found)"
    }
}
