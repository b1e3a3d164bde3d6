import Crypto
import Foundation
import MCPCore
import Synchronization

/// Confirmation for destructive actions: a dry run returns a token bound to the exact tool and arguments,
/// valid five minutes and good for one use; calling again with it runs the action.
public final class ConfirmationTokens: Sendable {
    public enum Check: Sendable, Equatable {
        case valid
        /// Expired, made for another tool or other arguments, already used, or not ours at all.
        case refused(String)
    }

    static let lifetime: TimeInterval = 300
    private let key = SymmetricKey(size: .bits256)
    /// Tokens already used, until they would have expired anyway.
    private let spent = Mutex<[String: Date]>([:])

    public init() {}

    /// A token for running `tool` with exactly `arguments` (the `confirmation` argument itself left out).
    public func issue(tool: String, arguments: JSONValue, now: Date = Date()) -> String {
        let expiry = Int64(now.timeIntervalSince1970 + Self.lifetime)
        let nonce = (0..<2).map { _ in String(UInt64.random(in: .min ... .max), radix: 36) }.joined(separator: "")
        let payload = "\(expiry).\(nonce)"
        return "\(payload).\(signature(payload: payload, tool: tool, arguments: arguments))"
    }

    /// Checks a token and, when valid, spends it: a second use is refused.
    public func redeem(_ token: String, tool: String, arguments: JSONValue, now: Date = Date()) -> Check {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 3, let expiry = Int64(parts[0]) else { return .refused("not a confirmation token") }
        let payload = "\(parts[0]).\(parts[1])"
        let expected = signature(payload: payload, tool: tool, arguments: arguments)
        guard Self.constantTimeEqual(Array(expected.utf8), Array(parts[2].utf8)) else {
            return .refused("the confirmation was made for another action or other arguments; do a dry run of this one")
        }
        guard Double(expiry) >= now.timeIntervalSince1970 else {
            return .refused("the confirmation expired (they last 5 minutes); do the dry run again")
        }
        let fresh = spent.withLock { spent -> Bool in
            spent = spent.filter { $0.value >= now }
            guard spent[token] == nil else { return false }
            spent[token] = Date(timeIntervalSince1970: Double(expiry))
            return true
        }
        return fresh ? .valid : .refused("the confirmation was already used; do a dry run again to get a new one")
    }

    private func signature(payload: String, tool: String, arguments: JSONValue) -> String {
        var stripped = arguments.objectValue ?? [:]
        stripped["confirmation"] = nil
        stripped["dry_run"] = nil
        let material = "\(payload)\u{0}\(tool)\u{0}\(JSONValue.object(stripped).serializedString)"
        let mac = HMAC<SHA256>.authenticationCode(for: Array(material.utf8), using: key)
        return Data(mac).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }
}
