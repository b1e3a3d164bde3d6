import Logging
import MCPCore

/// JSON-RPC over one ordered channel shared by every client request: a child's stdin and stdout, or a legacy
/// SSE session. Request ids and progress tokens are the peer's own, so concurrent callers never collide.
actor ChannelPeer {
    typealias Sender = @Sendable (JSONValue) async throws -> Void

    private struct Pending {
        var continuation: CheckedContinuation<Result<JSONValue, JSONRPC.Failure>, any Error>
        var observer: any BackendRequestObserver
        /// The client's own progress token, restored on the notifications relayed back.
        var clientProgressToken: JSONValue?
    }

    private let sender: Sender
    private let logger: Logger
    private var pending: [Int64: Pending] = [:]
    private var nextID: Int64 = 0
    private var closedReason: BackendError?
    private var notificationHandler: (@Sendable (BackendNotification) -> Void)?

    init(logger: Logger, sender: @escaping Sender) {
        self.logger = logger
        self.sender = sender
    }

    func setNotificationHandler(_ handler: (@Sendable (BackendNotification) -> Void)?) {
        notificationHandler = handler
    }

    /// Sends a request and waits for its answer. Cancelling the caller tells the backend with `notifications/cancelled`.
    func request(method: String, params: JSONValue?, observer: any BackendRequestObserver) async throws -> Result<
        JSONValue, JSONRPC.Failure
    > {
        if let closedReason { throw closedReason }
        nextID += 1
        let id = nextID
        var params = params
        let clientToken = params?["_meta"]?["progressToken"]
        if let current = params, clientToken != nil {
            params = BackendNegotiation.replacingProgressToken(in: current, with: .int(id))
        }
        let message = JSONRPC.request(id: .int(id), method: method, params: params)
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                pending[id] = Pending(continuation: continuation, observer: observer, clientProgressToken: clientToken)
                if Task.isCancelled {
                    abandon(id)
                    return
                }
                let sender = self.sender
                Task {
                    do { try await sender(message) } catch { self.fail(id, with: error) }
                }
            }
        } onCancel: {
            Task { await self.abandon(id) }
        }
    }

    func notify(method: String, params: JSONValue?) async throws {
        if let closedReason { throw closedReason }
        try await sender(JSONRPC.notification(method: method, params: params))
    }

    /// Gives up on a request: the caller was cancelled or timed out.
    private func abandon(_ id: Int64) {
        guard let entry = pending.removeValue(forKey: id) else { return }
        entry.continuation.resume(throwing: CancellationError())
        let sender = self.sender
        Task {
            try? await sender(
                JSONRPC.notification(
                    method: "notifications/cancelled",
                    params: ["requestId": .int(id), "reason": "The client cancelled the request"]))
        }
    }

    private func fail(_ id: Int64, with error: any Error) {
        pending.removeValue(forKey: id)?.continuation.resume(throwing: error)
    }

    /// The channel is gone: every open request fails, and so will later ones.
    func close(_ reason: BackendError) {
        closedReason = reason
        let open = pending
        pending = [:]
        for entry in open.values { entry.continuation.resume(throwing: reason) }
    }

    /// One message read from the channel.
    func receive(_ value: JSONValue) {
        guard let message = try? JSONRPC.classify(value) else {
            logger.debug("ignoring a message that is not JSON-RPC")
            return
        }
        switch message {
        case .response(let id):
            guard case .int(let number) = id, let entry = pending.removeValue(forKey: number) else { return }
            if let result = value["result"] {
                entry.continuation.resume(returning: .success(result))
            } else {
                let error = value["error"]
                let code =
                    error?["code"].flatMap { if case .int(let code) = $0 { Int(code) } else { nil } } ?? JSONRPC.internalError
                entry.continuation.resume(
                    returning: .failure(
                        .init(code: code, message: error?["message"]?.stringValue ?? "Backend error", data: error?["data"])))
            }
        case .notification("notifications/progress", let params):
            guard case .int(let number)? = params?["progressToken"], let entry = pending[number],
                let clientToken = entry.clientProgressToken, case .object(var fields)? = params
            else { return }
            fields["progressToken"] = clientToken
            let observer = entry.observer
            Task { await observer.notification(BackendNotification(method: "notifications/progress", params: .object(fields))) }
        case .notification("notifications/cancelled", _):
            break
        case .notification(let method, let params):
            notificationHandler?(BackendNotification(method: method, params: params))
        case .request(let id, "ping", _):
            send(JSONRPC.result(id: id, [:]))
        case .request(let id, let method, let params):
            answerServerRequest(id: id, method: method, params: params)
        }
    }

    /// A request from the backend (elicitation, sampling, roots). The channel does not say which client request it
    /// belongs to, so it goes to the newest open one: with one caller at a time, the one that caused it.
    private func answerServerRequest(id: JSONValue, method: String, params: JSONValue?) {
        guard let newest = pending.keys.max(), let observer = pending[newest]?.observer else {
            send(
                JSONRPC.error(.init(code: JSONRPC.methodNotFound, message: "No client request is waiting for \(method)", id: id)))
            return
        }
        Task {
            let reply: JSONValue
            switch await observer.serverRequest(method: method, params: params) {
            case .success(let result): reply = JSONRPC.result(id: id, result)
            case .failure(var failure):
                failure.id = id
                reply = JSONRPC.error(failure)
            }
            self.send(reply)
        }
    }

    private func send(_ message: JSONValue) {
        let sender = self.sender
        Task { try? await sender(message) }
    }
}
