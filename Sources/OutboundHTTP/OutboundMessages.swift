import Foundation
import MCPCore
import NIOCore
import NIOHTTP1

/// Where a request goes, taken apart once from its URL (a backend's endpoint is parsed when the backend is made, not
/// per call).
public struct OutboundTarget: Sendable {
    public let url: URL
    /// "http" or "https", lowercased.
    public let scheme: String
    /// The host as written, without IPv6 brackets.
    public let host: String
    public let port: Int
    /// What the request line asks for: the percent-encoded path and query.
    public let pathAndQuery: String
    /// The Host header's value.
    public let authority: String

    public init?(url: URL) {
        guard let components = URLComponents(url: url, resolvingAgainstBaseURL: true),
            let scheme = components.scheme?.lowercased(), let host = components.host, !host.isEmpty
        else { return nil }
        self.url = url
        self.scheme = scheme
        self.host = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        let defaultPort = scheme == "https" ? 443 : 80
        self.port = components.port ?? defaultPort
        let path = components.percentEncodedPath.isEmpty ? "/" : components.percentEncodedPath
        self.pathAndQuery = components.percentEncodedQuery.map { path + "?" + $0 } ?? path
        let written = self.host.contains(":") ? "[\(self.host)]" : self.host
        self.authority = components.port.map { "\(written):\($0)" } ?? written
    }

    public init?(_ text: String) {
        guard let url = URL(string: text) else { return nil }
        self.init(url: url)
    }
}

/// One request to send.
public struct OutboundRequest: Sendable {
    public var method: HTTPMethod
    public var target: OutboundTarget
    public var headers: HTTPHeaders
    public var body: ByteBuffer?

    public init(method: HTTPMethod, target: OutboundTarget, headers: HTTPHeaders = [:], body: ByteBuffer? = nil) {
        self.method = method
        self.target = target
        self.headers = headers
        self.body = body
    }
}

/// The status and headers of an answer.
public struct OutboundHead: Sendable {
    public let status: Int
    public let headers: HTTPHeaders

    public init(status: Int, headers: HTTPHeaders) {
        self.status = status
        self.headers = headers
    }

    /// Whether the answer is of media type `type` (lowercase), parameters aside, read without building strings: it is
    /// asked of every answer.
    public func hasMediaType(_ type: StaticString) -> Bool {
        guard let value = headers.first(name: "Content-Type") else { return false }
        let bytes = value.utf8.drop { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }
        let wanted = UnsafeBufferPointer(start: type.utf8Start, count: type.utf8CodeUnitCount)
        guard bytes.count >= wanted.count, bytes.prefix(wanted.count).lazy.map(\.asciiLowercased).elementsEqual(wanted)
        else { return false }
        let rest = bytes.dropFirst(wanted.count).first
        return rest == nil || rest == UInt8(ascii: ";") || rest == UInt8(ascii: " ") || rest == UInt8(ascii: "\t")
    }

    public var isSuccess: Bool { (200..<300).contains(status) }
}

/// An answer read whole.
public struct OutboundResponse: Sendable {
    public let head: OutboundHead
    public let body: ByteBuffer

    public var status: Int { head.status }
    public var headers: HTTPHeaders { head.headers }
}

/// An answer as `exchange` hands it over: whole, or its head and a body still arriving.
public enum OutboundAnswer: Sendable {
    case whole(OutboundResponse)
    case stream(OutboundHead, OutboundBody)
}
