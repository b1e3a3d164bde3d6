import Foundation
import HTTPTypes
import MCPCore

/// What goes down a request's event stream while a backend works on it.
enum StreamItem: Sendable {
    case message(JSONValue)
    case keepAlive
    /// The answer, and the HTTP status it goes with when it is answered as JSON: the last item of a request's stream.
    case answer(JSONValue, HTTPResponse.Status)
    /// The answer is slow in coming: the client is answered on an event stream from now on.
    case openStream

    var isAnswer: Bool {
        if case .answer = self { return true }
        return false
    }
}

/// Relays a backend's notifications and requests to the client on the request's own event stream.
/// Requests reach only handshake-era clients that declared the capability; their answers come back as POSTs.
struct ClientStreamObserver: BackendRequestObserver {
    let stream: AsyncStream<StreamItem>.Continuation
    let sessions: SessionRegistry
    let sessionID: String?
    let clientCapabilities: JSONValue

    func notification(_ notification: BackendNotification) async {
        stream.yield(.message(JSONRPC.notification(method: notification.method, params: notification.params)))
    }

    func serverRequest(method: String, params: JSONValue?) async -> Result<JSONValue, JSONRPC.Failure> {
        guard let capability = Self.requiredCapability(method) else {
            return .failure(.init(code: JSONRPC.methodNotFound, message: "The gateway does not relay \(method)"))
        }
        guard clientCapabilities[capability] != nil else {
            return .failure(
                .init(code: JSONRPC.methodNotFound, message: "The client did not declare the \(capability) capability"))
        }
        guard let sessionID else {
            return .failure(.init(code: JSONRPC.methodNotFound, message: "The client has no session to answer \(method) on"))
        }
        let requestID = "gw-" + UUID().uuidString.lowercased()
        let sessions = self.sessions
        let stream = self.stream
        let message = JSONRPC.request(id: .string(requestID), method: method, params: params)
        return await withTaskCancellationHandler {
            await sessions.ask(session: sessionID, requestID: requestID) { stream.yield(.message(message)) }
        } onCancel: {
            Task { await sessions.abandonAnswer(session: sessionID, requestID: requestID) }
        }
    }

    /// The client capability a server-to-client request needs.
    static func requiredCapability(_ method: String) -> String? {
        switch method {
        case "elicitation/create": "elicitation"
        case "sampling/createMessage": "sampling"
        case "roots/list": "roots"
        default: nil
        }
    }
}
