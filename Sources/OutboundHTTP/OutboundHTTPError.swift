import AsyncHTTPClient

/// Why a request got no usable answer, in words that can be shown (never a header's value: tokens travel there).
public enum OutboundHTTPError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The caller stopped waiting (its task was cancelled) or the body's reader went away.
    case cancelled
    /// No answer (for a stream: no head) within the timeout asked for.
    case timedOut
    /// The body is larger than the limit given.
    case tooLarge(limit: Int)
    /// The request could not be made from what was given (a URL AsyncHTTPClient cannot use).
    case invalidRequest(String)
    /// No connection, or it broke: refused, closed, TLS or name lookup failures.
    case unreachable(String)

    public var description: String {
        switch self {
        case .cancelled: "the request was cancelled"
        case .timedOut: "timed out"
        case .tooLarge(let limit): "the answer is larger than \(Self.size(limit))"
        case .invalidRequest(let reason): "the request is invalid: \(reason)"
        case .unreachable(let reason): reason
        }
    }

    /// The failure an error from AsyncHTTPClient or NIO stands for.
    public init(_ error: any Error) {
        switch error {
        case let error as OutboundHTTPError: self = error
        case is CancellationError: self = .cancelled
        case let error as HTTPClientError:
            switch error {
            case .cancelled: self = .cancelled
            case .deadlineExceeded, .readTimeout, .writeTimeout: self = .timedOut
            case .connectTimeout: self = .unreachable("connection timed out")
            case .remoteConnectionClosed: self = .unreachable("the connection was closed")
            case .invalidURL, .emptyHost, .emptyScheme: self = .invalidRequest("\(error)")
            default: self = .unreachable(Self.shortened("\(error)"))
            }
        default:
            let text = "\(error)"
            if text.contains("connectionRefused") || text.contains("Connection refused") {
                self = .unreachable("connection refused")
            } else {
                self = .unreachable(Self.shortened(text))
            }
        }
    }

    private static func shortened(_ text: String) -> String {
        text.count > 200 ? String(text.prefix(200)) + "…" : text
    }

    private static func size(_ bytes: Int) -> String {
        if bytes >= 1_048_576, bytes % 1_048_576 == 0 { return "\(bytes / 1_048_576) MiB" }
        if bytes >= 1024, bytes % 1024 == 0 { return "\(bytes / 1024) KiB" }
        return "\(bytes) bytes"
    }
}
