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

    public init(status: Int, headers: HTTPHeaders) {
        self.status = status
        self.headers = headers
    }

    /// The media type, lowercased and without parameters.
    public var mediaType: String {
        guard let value = headers.first(name: "Content-Type") else { return "" }
        let type = value.utf8.prefix { $0 != UInt8(ascii: ";") }
        return String(decoding: type, as: UTF8.self).trimmingCharacters(in: .whitespaces).lowercased()
    }

    /// Whether the answer is of media type `type` (lowercase), read without building strings: it is asked per answer.
    public func hasMediaType(_ type: StaticString) -> Bool {
        guard let value = headers.first(name: "Content-Type") else { return false }
        var bytes = value.utf8[...]
        while let first = bytes.first, first == UInt8(ascii: " ") { bytes = bytes.dropFirst() }
        let wanted = UnsafeBufferPointer(start: type.utf8Start, count: type.utf8CodeUnitCount)
        guard bytes.count >= wanted.count else { return false }
        for (byte, expected) in zip(bytes, wanted)
        where (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) ? byte + 32 != expected : byte != expected {
            return false
        }
        let rest = bytes.dropFirst(wanted.count).first
        return rest == nil || rest == UInt8(ascii: ";") || rest == UInt8(ascii: " ")
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
