import Crypto
import Foundation
import MCPCore

/// Seals the `requestState` the gateway hands to modern clients, so that what comes back is known to be ours,
/// for the same caller and the same tool. Treats whatever comes back as hostile until it opens.
struct RequestStateSeal: Sendable {
    enum Content: Equatable {
        /// A modern backend's own state, to hand back to it.
        case backend(String)
        /// A call the gateway holds open while the client answers the backend's question.
        case parked(String)
    }

    private let key = SymmetricKey(size: .bits256)
    static let lifetime: TimeInterval = 600

    func seal(_ content: Content, principal: String?, target: String, now: Date = Date()) -> String {
        let (kind, value) =
            switch content {
            case .backend(let state): ("backend", state)
            case .parked(let id): ("parked", id)
            }
        let payload: JSONValue = [
            "k": .string(kind), "v": .string(value), "p": .string(principal ?? ""), "t": .string(target),
            "e": .int(Int64(now.timeIntervalSince1970 + Self.lifetime)),
        ]
        let box = try! AES.GCM.seal(payload.serializedBytes(), using: key)
        return "gw1." + Self.base64URL(box.combined!)
    }

    /// The content, if `token` was sealed here for this principal and target and has not expired.
    func open(_ token: String, principal: String?, target: String, now: Date = Date()) -> Content? {
        guard token.hasPrefix("gw1."), let bytes = Self.decodeBase64URL(String(token.dropFirst(4))),
            let box = try? AES.GCM.SealedBox(combined: bytes), let plain = try? AES.GCM.open(box, using: key),
            let payload = try? JSONValue.parse(plain), payload["p"]?.stringValue == (principal ?? ""),
            payload["t"]?.stringValue == target, case .int(let expiry)? = payload["e"],
            Double(expiry) >= now.timeIntervalSince1970, let value = payload["v"]?.stringValue
        else { return nil }
        switch payload["k"]?.stringValue {
        case "backend": return .backend(value)
        case "parked": return .parked(value)
        default: return nil
        }
    }

    static func base64URL(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func decodeBase64URL(_ text: String) -> Data? {
        var padded = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while padded.count % 4 != 0 { padded += "=" }
        return Data(base64Encoded: padded)
    }
}
