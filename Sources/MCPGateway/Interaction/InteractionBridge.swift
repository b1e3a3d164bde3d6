import Foundation
import MCPCore

/// Questions a backend asks the client in the middle of a call (elicitation, sampling, roots), across eras:
/// - modern backend → modern client: its `input_required` passes through, its `requestState` sealed inside ours;
/// - handshake-era backend → modern client: the backend's request becomes `input_required`, the call parked;
/// - modern backend → handshake client: the gateway asks the client over its session and retries for it;
/// - handshake-era backend → handshake client: the request is relayed on the client's stream.
/// A client that did not declare the capability gets a clean refusal in every case.
struct InteractionBridge: Sendable {
    let seal = RequestStateSeal()
    let parked = ParkedCalls()
    static let maximumRounds = 10
    /// The key of the one question a parked call asks at a time.
    static let questionKey = "gateway"

    typealias Send = @Sendable (BackendRequest, any BackendRequestObserver) async -> Result<JSONValue, JSONRPC.Failure>

    func run(_ request: BackendRequest, call: ClientCall, target: String, send: @escaping Send) async -> Result<
        JSONValue, JSONRPC.Failure
    > {
        call.era.isModern
            ? await runForModernClient(request, call: call, target: target, send: send)
            : await runForHandshakeClient(request, call: call, send: send)
    }

    // MARK: modern clients

    private func runForModernClient(_ request: BackendRequest, call: ClientCall, target: String, send: @escaping Send) async
        -> Result<
            JSONValue, JSONRPC.Failure
        >
    {
        var request = request
        if let token = request.params["requestState"] {
            guard let text = token.stringValue, let content = seal.open(text, principal: call.principal, target: target) else {
                return .failure(
                    .init(
                        code: JSONRPC.invalidParams, message: "Invalid or expired requestState",
                        data: ["reason": "invalid_request_state"]))
            }
            switch content {
            case .backend(let state):
                request.params = Self.setting(request.params, "requestState", to: .string(state))
            case .parked(let id):
                guard let entry = await parked.take(id) else {
                    return .failure(
                        .init(
                            code: JSONRPC.invalidParams, message: "Invalid or expired requestState",
                            data: ["reason": "invalid_request_state"]))
                }
                if let response = request.params["inputResponses"]?[Self.questionKey] {
                    entry.answer(.success(response))
                } else {
                    entry.answer(.failure(.init(code: JSONRPC.invalidParams, message: "The client sent no answer")))
                }
                return await withTaskCancellationHandler {
                    await next(from: entry.events, task: entry.task, call: call, target: target)
                } onCancel: {
                    entry.task.cancel()
                }
            }
        }
        if !Self.canAnswerQuestions(call.clientCapabilities) {
            // Nothing could be asked of this client, so nothing can park: the call runs in this task.
            let observer = ParkingObserver(
                events: AsyncStream<CallEvent>.makeStream().continuation, relay: call.observer,
                clientCapabilities: call.clientCapabilities)
            return wrapBackendInputRequest(await send(request, observer), call: call, target: target)
        }
        let (events, continuation) = AsyncStream<CallEvent>.makeStream()
        let observer = ParkingObserver(events: continuation, relay: call.observer, clientCapabilities: call.clientCapabilities)
        // A call that may park outlives the request that started it, so it is bounded by its own timers.
        var parkable = request
        parkable.scope = nil
        let work = Task { [parkable] in
            let outcome = await send(parkable, observer)
            continuation.yield(.finished(outcome))
            continuation.finish()
        }
        return await withTaskCancellationHandler {
            await next(from: events, task: work, call: call, target: target)
        } onCancel: {
            work.cancel()
        }
    }

    /// Waits for the call to finish or to ask something; a question parks the call and becomes `input_required`.
    private func next(from events: AsyncStream<CallEvent>, task: Task<Void, Never>, call: ClientCall, target: String) async
        -> Result<
            JSONValue, JSONRPC.Failure
        >
    {
        for await event in events {
            switch event {
            case .finished(let outcome):
                return wrapBackendInputRequest(outcome, call: call, target: target)
            case .question(let method, let params, let answer):
                let id = await parked.park(task: task, events: events, answer: answer)
                var inputRequest: [String: JSONValue] = ["method": .string(method)]
                if let params { inputRequest["params"] = params }
                return .success([
                    "resultType": "input_required",
                    "inputRequests": .object([Self.questionKey: .object(inputRequest)]),
                    "requestState": .string(seal.seal(.parked(id), principal: call.principal, target: target)),
                ])
            }
        }
        return .failure(.init(code: JSONRPC.internalError, message: "The call ended without an answer"))
    }

    /// A modern backend's `input_required` for a modern client: refused if the client cannot answer, else its state sealed.
    private func wrapBackendInputRequest(_ outcome: Result<JSONValue, JSONRPC.Failure>, call: ClientCall, target: String)
        -> Result<
            JSONValue, JSONRPC.Failure
        >
    {
        guard case .success(let result) = outcome, result["resultType"]?.stringValue == "input_required" else { return outcome }
        for request in result["inputRequests"]?.objectValue?.values.map({ $0 }) ?? [] {
            if let refusal = Self.missingCapability(request["method"]?.stringValue ?? "", call.clientCapabilities) {
                return .failure(refusal)
            }
        }
        guard case .object(var fields) = result, let state = fields["requestState"]?.stringValue else { return outcome }
        fields["requestState"] = .string(seal.seal(.backend(state), principal: call.principal, target: target))
        return .success(.object(fields))
    }

    // MARK: handshake clients

    /// A modern backend's `input_required` is asked of the client over its session, and the request retried.
    private func runForHandshakeClient(_ request: BackendRequest, call: ClientCall, send: Send) async -> Result<
        JSONValue, JSONRPC.Failure
    > {
        var request = request
        for _ in 0..<Self.maximumRounds {
            let outcome = await send(request, call.observer)
            guard case .success(let result) = outcome, result["resultType"]?.stringValue == "input_required" else {
                return outcome
            }
            var responses: [String: JSONValue] = [:]
            for (key, question) in result["inputRequests"]?.objectValue ?? [:] {
                let method = question["method"]?.stringValue ?? ""
                if let refusal = Self.missingCapability(method, call.clientCapabilities) { return .failure(refusal) }
                switch await call.observer.serverRequest(method: method, params: question["params"]) {
                case .success(let answer): responses[key] = answer
                case .failure(let failure):
                    return .failure(
                        .init(code: failure.code, message: "The backend needs the client to answer \(method): \(failure.message)")
                    )
                }
            }
            request.params = Self.setting(request.params, "inputResponses", to: .object(responses))
            request.params = Self.setting(request.params, "requestState", to: result["requestState"])
        }
        return .failure(.init(code: JSONRPC.internalError, message: "The backend kept asking for more input"))
    }

    // MARK: helpers

    /// Whether the client declared any capability a backend's question needs.
    static func canAnswerQuestions(_ capabilities: JSONValue) -> Bool {
        ["elicitation", "sampling", "roots"].contains { capabilities[$0] != nil }
    }

    static func missingCapability(_ method: String, _ capabilities: JSONValue) -> JSONRPC.Failure? {
        guard let capability = ClientStreamObserver.requiredCapability(method) else {
            return .init(code: JSONRPC.methodNotFound, message: "The gateway does not relay \(method)")
        }
        guard capabilities[capability] == nil else { return nil }
        return .init(
            code: MCPProtocol.ErrorCode.missingClientCapability,
            message: "The backend needs the client's \(capability) capability, which the client did not declare",
            data: ["requiredCapabilities": .object([capability: [:]])])
    }

    static func setting(_ params: JSONValue, _ key: String, to value: JSONValue?) -> JSONValue {
        guard case .object(var fields) = params else { return params }
        fields[key] = value
        return .object(fields)
    }
}

/// The observer of a call made for a modern client: notifications go to the request's stream, questions to the
/// request waiting on the call (which parks it).
struct ParkingObserver: BackendRequestObserver {
    let events: AsyncStream<CallEvent>.Continuation
    let relay: any BackendRequestObserver
    let clientCapabilities: JSONValue

    func notification(_ notification: BackendNotification) async {
        await relay.notification(notification)
    }

    func serverRequest(method: String, params: JSONValue?) async -> Result<JSONValue, JSONRPC.Failure> {
        if let refusal = InteractionBridge.missingCapability(method, clientCapabilities) {
            return .failure(.init(code: JSONRPC.methodNotFound, message: refusal.message))
        }
        let events = self.events
        return await withCheckedContinuation { continuation in
            let answered = ResumeOnce()
            events.yield(
                .question(method: method, params: params) { reply in
                    if answered.claim() { continuation.resume(returning: reply) }
                })
        }
    }
}
