import Foundation
import NIOCore
import NIOHTTP1

/// One request to send. The URL is parsed by the caller, once, when it is fixed (a backend's endpoint).
public struct OutboundRequest: Sendable {
    public var method: HTTPMethod
    public var url: URL
    public var headers: HTTPHeaders
    public var body: ByteBuffer?

    public init(method: HTTPMethod, url: URL, headers: HTTPHeaders = [:], body: ByteBuffer? = nil) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }
}

/// The status and headers of an answer.
public struct OutboundHead: Sendable {
    public let status: Int
    public let headers: HTTPHeaders

    /// The media type, lowercased and without parameters.
    public var mediaType: String {
        let value = headers.first(name: "Content-Type") ?? ""
        return value.split(separator: ";", maxSplits: 1).first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            ?? ""
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
