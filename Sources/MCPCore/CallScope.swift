import NIOCore
import NIOPosix
import Synchronization

/// The one task that answers a client's call, and whatever may stop it early: the client went away, the server is
/// stopping, the backend's time ran out. Every reason cancels the same task, and the first one is remembered, so the
/// answer can say why. Timers are the event loop's: cancelling one removes it at once, so a call that finishes in a
/// millisecond leaves nothing queued behind it (a cancelled `Task.sleep` would stay queued until its deadline).
public final class CallScope: Sendable {
    public enum StopReason: Sendable, Equatable {
        case clientGone
        case shuttingDown
        case timedOut(Duration)
    }

    private struct State {
        var cancel: (@Sendable () -> Void)?
        var reason: StopReason?
        var timers: [Scheduled<Void>] = []
        var finished = false
    }

    private let state = Mutex(State())
    public let eventLoop: any EventLoop

    /// `eventLoop`: where the timers run; the client's connection's loop when there is one.
    public init(eventLoop: (any EventLoop)? = nil) {
        self.eventLoop = eventLoop ?? MultiThreadedEventLoopGroup.singleton.any()
    }

    /// The task the scope stops. A scope stopped before this is called cancels the task at once.
    public func attach<Success: Sendable, Failure: Error>(_ task: Task<Success, Failure>) {
        let cancel: @Sendable () -> Void = { task.cancel() }
        let stopped = state.withLock { state in
            state.cancel = cancel
            return state.reason != nil
        }
        if stopped { cancel() }
    }

    /// Stops the call for `reason`, unless it already finished or was stopped for another reason.
    public func stop(_ reason: StopReason) {
        let cancel = state.withLock { state -> (@Sendable () -> Void)? in
            guard !state.finished, state.reason == nil else { return nil }
            state.reason = reason
            return state.cancel
        }
        cancel?()
    }

    /// Stops the call for `reason` once `delay` has passed, unless it finished by then.
    public func stop(_ reason: StopReason, after delay: Duration) {
        schedule(after: delay) { [self] in stop(reason) }
    }

    /// Runs `action` once `delay` has passed, unless the call finished by then.
    public func schedule(after delay: Duration, _ action: @escaping @Sendable () -> Void) {
        let timer = eventLoop.scheduleTask(in: .nanoseconds(delay.nanoseconds), action)
        let keep = state.withLock { state in
            guard !state.finished else { return false }
            state.timers.append(timer)
            return true
        }
        if !keep { timer.cancel() }
    }

    /// Why the call was stopped, if it was.
    public var stopReason: StopReason? { state.withLock { $0.reason } }

    /// The call is answered: no reason can stop it any more, and its timers are dropped.
    public func finish() {
        let timers = state.withLock { state in
            state.finished = true
            defer { state.timers = [] }
            return state.timers
        }
        for timer in timers { timer.cancel() }
    }
}
