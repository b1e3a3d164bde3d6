import MCPCore
import NIOCore
import Synchronization

/// The client connection calls arrive on, watched for the client leaving, which stops the call in progress.
/// HTTP/1.1 answers one request at a time per connection, so one slot holds that call, and one close callback per
/// connection serves every call made on it (a callback per call would pile up on a kept-alive connection).
final class ClientConnection: Sendable {
    private static let open = Mutex<[ObjectIdentifier: ClientConnection]>([:])

    private struct Watch {
        var closed = false
        var scope: CallScope?
    }

    private let watch = Mutex(Watch())

    /// The connection behind `channel`, watched from its first call on.
    static func of(_ channel: any Channel) -> ClientConnection {
        let id = ObjectIdentifier(channel)
        let (connection, isNew) = open.withLock { open -> (ClientConnection, Bool) in
            if let known = open[id] { return (known, false) }
            let made = ClientConnection()
            open[id] = made
            return (made, true)
        }
        if isNew {
            channel.closeFuture.whenComplete { _ in
                open.withLock { _ = $0.removeValue(forKey: id) }
                connection.closed()
            }
        }
        return connection
    }

    /// From now on, the client leaving stops `scope`.
    func watch(_ scope: CallScope) {
        let closed = watch.withLock { watch in
            watch.scope = scope
            return watch.closed
        }
        if closed { scope.stop(.clientGone) }
    }

    /// The call of `scope` is answered.
    func unwatch(_ scope: CallScope) {
        watch.withLock { watch in
            if watch.scope === scope { watch.scope = nil }
        }
    }

    private func closed() {
        let scope = watch.withLock { watch in
            watch.closed = true
            defer { watch.scope = nil }
            return watch.scope
        }
        scope?.stop(.clientGone)
    }
}
