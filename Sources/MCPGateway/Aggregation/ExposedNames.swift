import Crypto
import MCPCore

/// How backend names become the names clients see: `<prefix>__<name>`, within `^[a-zA-Z0-9_-]{1,64}$`.
///
/// Invalid characters become `_`; a name that would pass 64 characters keeps its start and ends in `_` plus
/// 8 hex digits of a hash of backend and name, so it stays the same across restarts. When two names still
/// collide, the first in a fixed order keeps its name and the next gets the hash suffix: never fatal.
public enum ExposedNames {
    public static let maximumLength = 64
    public static let separator = "__"
    static let hashLength = 8

    /// One name a backend offers, identified by backend and original name.
    public struct Origin: Hashable, Sendable {
        public var backend: String
        public var prefix: String
        public var name: String
    }

    /// Exposed names for all `origins`, in a deterministic order (by backend, then by the backend's order).
    public static func assign(_ origins: [Origin]) -> [Origin: String] {
        var taken: Set<String> = []
        var assigned: [Origin: String] = [:]
        for origin in origins where assigned[origin] == nil {
            var candidate = preferred(origin)
            if taken.contains(candidate) {
                candidate = hashed(base: "\(sanitize(origin.prefix))\(separator)\(sanitize(origin.name))", origin: origin)
            }
            var attempt = 1
            while taken.contains(candidate) {
                attempt += 1
                candidate = hashed(
                    base: "\(sanitize(origin.prefix))\(separator)\(sanitize(origin.name))", origin: origin, salt: attempt)
            }
            taken.insert(candidate)
            assigned[origin] = candidate
        }
        return assigned
    }

    static func preferred(_ origin: Origin) -> String {
        let full = "\(sanitize(origin.prefix))\(separator)\(sanitize(origin.name))"
        return full.utf8.count <= maximumLength ? full : hashed(base: full, origin: origin)
    }

    static func hashed(base: String, origin: Origin, salt: Int = 0) -> String {
        var material = "\(origin.backend)\u{0}\(origin.name)"
        if salt > 0 { material += "\u{0}\(salt)" }
        let digest = SHA256.hash(data: Array(material.utf8))
        let hex = digest.prefix(hashLength / 2).map { byte in
            let text = String(byte, radix: 16)
            return text.count == 1 ? "0" + text : text
        }.joined()
        let keep = maximumLength - hashLength - 1
        return String(base.prefix(keep)) + "_" + hex
    }

    /// Every character outside `[a-zA-Z0-9_-]` becomes `_`; an empty name becomes `_`.
    public static func sanitize(_ name: String) -> String {
        let cleaned = String(
            name.unicodeScalars.map { scalar -> Character in
                let value = scalar.value
                let allowed =
                    (value >= 0x30 && value <= 0x39) || (value >= 0x41 && value <= 0x5A) || (value >= 0x61 && value <= 0x7A)
                    || value == 0x5F || value == 0x2D
                return allowed ? Character(scalar) : "_"
            })
        return cleaned.isEmpty ? "_" : cleaned
    }

    /// The URI clients see for a backend's resource: `<prefix>+<uri>`, a valid URI scheme of its own.
    public static func resourceURI(_ uri: String, uriPrefix: String) -> String {
        "\(uriPrefix)+\(uri)"
    }

    /// The scheme-safe form of a prefix: letters, digits, `-`, `.`, starting with a letter.
    public static func uriPrefix(for prefix: String) -> String {
        let cleaned = String(
            prefix.lowercased().unicodeScalars.map { scalar -> Character in
                let value = scalar.value
                let allowed =
                    (value >= 0x30 && value <= 0x39) || (value >= 0x61 && value <= 0x7A) || value == 0x2D || value == 0x2E
                return allowed ? Character(scalar) : "-"
            })
        guard let first = cleaned.unicodeScalars.first, first.value >= 0x61 && first.value <= 0x7A else { return "b" + cleaned }
        return cleaned
    }
}
