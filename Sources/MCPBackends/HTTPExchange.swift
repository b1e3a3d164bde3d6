import AsyncHTTPClient
import Foundation
import MCPCore
import NIOCore
import NIOHTTP1

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

    let client: HTTPClient
    let url: String
    let headers: [(String, String)]

    func post(
        _ message: JSONValue, extraHeaders: [(String, String)], sessionID: String?, expectsResponse: Bool,
        interim: InterimHandler, postBack: @Sendable (JSONValue) async throws -> Void
    ) async throws -> (Outcome, HTTPHeaders) {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        request.headers.replaceOrAdd(name: "Content-Type", value: "application/json")
        request.headers.replaceOrAdd(name: "Accept", value: "application/json, text/event-stream")
        for (name, value) in extraHeaders { request.headers.replaceOrAdd(name: name, value: value) }
        if let sessionID { request.headers.replaceOrAdd(name: MCPProtocol.Header.sessionID, value: sessionID) }
        request.body = .bytes(ByteBuffer(bytes: message.serializedBytes()))

        let response: HTTPClientResponse
        do {
            response = try await client.execute(request, timeout: .hours(24))
        } catch {
            throw Self.transportError(error)
        }
        switch response.status.code {
        case 202:
            return (.accepted, response.headers)
        case 404 where sessionID != nil:
            return (.sessionNotFound, response.headers)
        case 200..<300:
            break
        default:
            let body = (try? await response.body.collect(upTo: 4096)).map { String(buffer: $0) } ?? ""
            throw BackendError.httpStatus(Int(response.status.code), Self.errorDetail(body))
        }
        guard expectsResponse else { return (.accepted, response.headers) }
        let contentType = response.headers.first(name: "Content-Type")?.lowercased() ?? ""
        if contentType.hasPrefix("text/event-stream") {
            let answer = try await readEventStream(response.body, requestID: message["id"], interim: interim, postBack: postBack)
            return (.response(answer), response.headers)
        }
        let body: ByteBuffer
        do {
            body = try await response.body.collect(upTo: Self.maximumBodyBytes)
        } catch is NIOTooManyBytesError {
            throw BackendError.protocolViolation("the response is larger than \(Self.maximumBodyBytes / 1_048_576) MiB")
        } catch {
            throw Self.transportError(error)
        }
        guard let value = try? JSONValue.parse(body.readableBytesView) else {
            throw BackendError.protocolViolation("the response is not JSON")
        }
        // The answer to a POST is the answer to that request: anything else (another id, a request, a batch) is
        // a broken backend, not a result to hand to the client. An error about a request it could not even
        // read may carry a null id.
        guard case .response(let id)? = try? JSONRPC.classify(value),
            id == message["id"] || (id == .null && value["error"] != nil)
        else {
            throw BackendError.protocolViolation("the response does not answer this request")
        }
        return (.response(value), response.headers)
    }

    /// Reads events until the response to `requestID` arrives; notifications and requests go to `interim`.
    private func readEventStream(
        _ body: HTTPClientResponse.Body, requestID: JSONValue?, interim: InterimHandler,
        postBack: @Sendable (JSONValue) async throws -> Void
    ) async throws -> JSONValue {
        var decoder = ServerSentEventDecoder(maximumLineLength: Self.maximumBodyBytes)
        do {
            for try await chunk in body {
                for event in try decoder.feed(chunk.readableBytesView) where event.event == "message" {
                    guard !event.data.isEmpty, let value = try? JSONValue.parse(Array(event.data.utf8)) else { continue }
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

    static func transportError(_ error: any Error) -> any Error {
        if error is CancellationError { return error }
        if let error = error as? HTTPClientError, error == .cancelled { return CancellationError() }
        if error is BackendError { return error }
        return BackendError.unreachable(describe(error))
    }

    static func describe(_ error: any Error) -> String {
        if let error = error as? HTTPClientError {
            switch error {
            case .connectTimeout: return "connection timed out"
            case .remoteConnectionClosed: return "the connection was closed"
            case .readTimeout: return "read timed out"
            default: return "\(error)"
            }
        }
        let text = "\(error)"
        if text.contains("connectionRefused") || text.contains("Connection refused") { return "connection refused" }
        return text.count > 200 ? String(text.prefix(200)) + "…" : text
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
