import Foundation
import MCPCore

/// What a call running for a modern client tells the request that waits on it.
enum CallEvent: Sendable {
    /// The backend asks the client something (elicitation, sampling, roots); `answer` takes the client's reply.
    case question(method: String, params: JSONValue?, answer: @Sendable (Result<JSONValue, JSONRPC.Failure>) -> Void)
    case finished(Result<JSONValue, JSONRPC.Failure>)
}

/// A backend call that asked a modern client a question. The client can only answer by retrying its request
/// (`input_required`), so the call is kept here, running, until the retry arrives or it expires.
actor ParkedCalls {
    struct Parked {
        let task: Task<Void, Never>
        let events: AsyncStream<CallEvent>
        let answer: @Sendable (Result<JSONValue, JSONRPC.Failure>) -> Void
        let expires: Date
    }

    private var parked: [String: Parked] = [:]
    static let lifetime: TimeInterval = 300
    static let maximum = 1000

    func park(
        task: Task<Void, Never>, events: AsyncStream<CallEvent>,
        answer: @escaping @Sendable (Result<JSONValue, JSONRPC.Failure>) -> Void, now: Date = Date()
    ) -> String {
        expire(now: now)
        if parked.count >= Self.maximum, let oldest = parked.min(by: { $0.value.expires < $1.value.expires }) {
            drop(oldest.key)
        }
        let id = UUID().uuidString.lowercased()
        parked[id] = Parked(task: task, events: events, answer: answer, expires: now.addingTimeInterval(Self.lifetime))
        // A client that never retries must not hold the backend call (and its connection) for longer.
        Task { [weak self] in
            try? await Task.sleep(for: .seconds(Self.lifetime))
            await self?.expire()
        }
        return id
    }

    /// Takes a parked call out, to resume it with the client's answer.
    func take(_ id: String) -> Parked? {
        parked.removeValue(forKey: id)
    }

    func expire(now: Date = Date()) {
        for (id, entry) in parked where entry.expires < now { drop(id) }
    }

    private func drop(_ id: String) {
        guard let entry = parked.removeValue(forKey: id) else { return }
        entry.answer(.failure(.init(code: JSONRPC.internalError, message: "The client did not answer in time")))
        entry.task.cancel()
    }

    func cancelAll() {
        for id in Array(parked.keys) { drop(id) }
    }
}
