import Foundation
import MCPCore
import NIOCore
import NIOHTTP1
import OutboundHTTP

/// One POST of a JSON-RPC message to an MCP endpoint, read back as JSON or as an event stream.
struct HTTPExchange {
    enum Outcome {
        /// The JSON-RPC response to the posted request.
        case response(JSONValue)
        /// 202: the backend took a notification or a response.
        case accepted
        /// 404 on a request that carried a session: the session is gone; initialize again.
        case sessionNotFound
    }

    /// Handles what an event stream carries before the response: notifications and server requests.
    /// Returns the JSON-RPC response to post back for a server request.
    typealias InterimHandler = @Sendable (JSONRPC.Message, JSONValue) async -> JSONValue?

    static let maximumBodyBytes = 16 * 1024 * 1024
    /// Enough of an error body to quote.
    static let errorBodyBytes = 64 * 1024

    let http: OutboundHTTP
    /// The endpoint, parsed once; nil when it is not a URL (the backend then fails every request saying so).
    let endpoint: OutboundTarget?
    let url: String
    /// The backend's configured headers (its credentials among them), set on every request.
    let headers: HTTPHeaders
    /// For an OAuth-protected backend: the token of the person this connection is for, sent as `Authorization`.
    let credential: (any BackendCredential)?

    init(http: OutboundHTTP, url: String, headers: [(String, String)], credential: (any BackendCredential)? = nil) {
        self.http = http
        self.url = url
        self.endpoint = OutboundTarget(url)
        self.headers = HTTPHeaders(headers)
        self.credential = credential
    }

    /// `request`, with the credential's current token when there is one (returned too, to report it if refused).
    func authorized(_ method: HTTPMethod, extra: [(String, String)], body: JSONValue? = nil) async throws
        -> (OutboundRequest, token: String?)
    {
        guard let credential else { return (try request(method, extra: extra, body: body), nil) }
        let token = try await credential.bearer()
        return (try request(method, extra: extra + [("Authorization", "Bearer \(token)")], body: body), token)
    }

    static let refusedToken = BackendError.httpStatus(401, "the backend refused the token it was given")

    private func send(_ request: OutboundRequest, expectsResponse: Bool) async throws -> OutboundAnswer {
        do {
            return try await http.exchange(request, limit: Self.maximumBodyBytes) { head in
                expectsResponse && head.isSuccess && head.status != 202 && head.hasMediaType("text/event-stream")
            }
        } catch {
            throw Self.transportError(error)
        }
    }

    /// A request to the endpoint with the backend's headers and `extra` ones (which replace same-named ones).
    func request(_ method: HTTPMethod, extra: [(String, String)], body: JSONValue? = nil) throws -> OutboundRequest {
        guard let endpoint else { throw BackendError.unreachable("\(url) is not a URL") }
        var all = headers
        for (name, value) in extra { all.replaceOrAdd(name: name, value: value) }
        return OutboundRequest(
            method: method, target: endpoint, headers: all, body: body.map { ByteBuffer(bytes: $0.serializedBytes()) })
    }

    func post(
        _ message: JSONValue, extraHeaders: [(String, String)], sessionID: String?, expectsResponse: Bool,
        interim: InterimHandler, postBack: @Sendable (JSONValue) async throws -> Void
    ) async throws -> (Outcome, HTTPHeaders) {
        var extra = [("Content-Type", "application/json"), ("Accept", "application/json, text/event-stream")]
        extra += extraHeaders
        if let sessionID { extra.append((MCPProtocol.Header.sessionID, sessionID)) }
        var (request, token) = try await authorized(.POST, extra: extra, body: message)
        var answer = try await send(request, expectsResponse: expectsResponse)
        // A refused token is tried once more when the credential has a fresh one: a 401 means the backend did not act
        // on the request. When it has none, the person must authorize again.
        if let credential, let sent = token, case .whole(let response) = answer, response.status == 401 {
            guard await credential.rejected(sent) else { _ = try await credential.bearer(); throw Self.refusedToken }
            (request, token) = try await authorized(.POST, extra: extra, body: message)
            answer = try await send(request, expectsResponse: expectsResponse)
        }
        switch answer {
        case .stream(let head, let body):
            let value = try await readEventStream(body, requestID: message["id"], interim: interim, postBack: postBack)
            return (.response(value), head.headers)
        case .whole(let response):
            switch response.status {
            case 202:
                return (.accepted, response.headers)
            case 404 where sessionID != nil:
                return (.sessionNotFound, response.headers)
            case 200..<300:
                break
            case 401 where credential == nil:
                if let challenge = response.headers.first(name: "WWW-Authenticate"),
                    let metadata = OAuthChallenge.metadataURL(inChallenge: challenge)
                {
                    throw OAuthChallenge(resourceMetadata: metadata)
                }
                fallthrough
            default:
                let excerpt = response.body.getSlice(
                    at: response.body.readerIndex, length: min(response.body.readableBytes, 4096))
                throw BackendError.httpStatus(response.status, Self.errorDetail(excerpt.map { String(buffer: $0) } ?? ""))
            }
            guard expectsResponse else { return (.accepted, response.headers) }
            return (.response(try Self.answer(response.body, to: message)), response.headers)
        }
    }

    /// The answer to a POST is the answer to that request: anything else (another id, a request, a batch) is a broken
    /// backend, not a result to hand to the client. An error about a request it could not even read may carry a null id.
    private static func answer(_ body: ByteBuffer, to message: JSONValue) throws -> JSONValue {
        guard let value = try? JSONValue.parseMessage(body.readableBytesView) else {
            throw BackendError.protocolViolation("the response is not JSON")
        }
        guard case .response(let id)? = try? JSONRPC.classify(value),
            id == message["id"] || (id == .null && value["error"] != nil)
        else {
            throw BackendError.protocolViolation("the response does not answer this request")
        }
        return value
    }

    /// Reads events until the response to `requestID` arrives; notifications and requests go to `interim`.
    private func readEventStream(
        _ body: OutboundBody, requestID: JSONValue?, interim: InterimHandler,
        postBack: @Sendable (JSONValue) async throws -> Void
    ) async throws -> JSONValue {
        var decoder = ServerSentEventDecoder(maximumLineLength: Self.maximumBodyBytes)
        do {
            for try await chunk in body {
                for event in try decoder.feed(chunk.readableBytesView) where event.event == "message" {
                    guard !event.data.isEmpty, let value = try? JSONValue.parseMessage(event.data.utf8) else { continue }
                    guard let message = try? JSONRPC.classify(value) else { continue }
                    if case .response(let id) = message, id == requestID { return value }
                    if let reply = await interim(message, value) { try await postBack(reply) }
                }
            }
        } catch is ServerSentEventDecoder.Failure {
            throw BackendError.protocolViolation("an event in the response stream is larger than the limit")
        } catch let error as BackendError {
            throw error
        } catch {
            throw Self.transportError(error)
        }
        throw BackendError.protocolViolation("the response stream ended before the response")
    }

    /// What a failure to reach the backend means to the call: cancellation stays cancellation, the rest is the
    /// backend being unreachable (or its answer too large), in the outbound component's words.
    static func transportError(_ error: any Error) -> any Error {
        if error is CancellationError || error is BackendError { return error }
        switch OutboundHTTPError(error) {
        case .cancelled: return CancellationError()
        case .tooLarge(let limit): return BackendError.protocolViolation("the response is larger than \(limit / 1_048_576) MiB")
        case let failure: return BackendError.unreachable(failure.description)
        }
    }

    /// A short, single-line excerpt of an error body: a JSON-RPC error message when there is one.
    static func errorDetail(_ body: String) -> String {
        if let value = try? JSONValue.parse(Array(body.utf8)), let message = value["error"]?["message"]?.stringValue {
            return message
        }
        let line = body.split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
        return line.count > 160 ? String(line.prefix(160)) + "…" : line
    }
}
