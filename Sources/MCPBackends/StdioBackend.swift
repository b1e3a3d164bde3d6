import Foundation
import Logging
import MCPCore
import Subprocess
import Synchronization

#if canImport(System)
    import System
#else
    import SystemPackage
#endif

/// A backend run as a child process speaking newline-delimited JSON-RPC on stdin and stdout.
/// Every client request shares the one child; its stderr goes to the log under the backend's name.
/// When the child dies, open requests fail and the next `connect` starts a new one. A sandboxed one runs in a
/// `CommandSandbox` under its profile, and is stopped when its output goes past the profile's limits.
public actor StdioBackend: ReplaceableBackend {
    public struct Launch: Sendable {
        public var command: String
        public var arguments: [String]
        /// The child's whole environment: the caller decides what of the gateway's own it inherits.
        public var environment: [String: String]
        public var workingDirectory: String?

        public init(command: String, arguments: [String], environment: [String: String], workingDirectory: String?) {
            self.command = command
            self.arguments = arguments
            self.environment = environment
            self.workingDirectory = workingDirectory
        }
    }

    /// Names of the gateway's environment a child gets without being configured to, as MCP clients do.
    public static let inheritedVariables = ["HOME", "LOGNAME", "PATH", "SHELL", "TERM", "USER", "LANG", "LC_ALL", "TMPDIR", "TZ"]

    static let maximumLineBytes = 16 * 1024 * 1024

    /// The sandbox a command runs in, and under which profile.
    public struct Sandboxing: Sendable {
        public var sandbox: CommandSandbox
        public var profile: SandboxProfile
        /// Whose process it is, for the sandbox's cap per owner.
        public var owner: String
        /// How long the process may go unused before it is stopped (started again by the next request).
        public var idle: Duration?

        public init(sandbox: CommandSandbox, profile: SandboxProfile, owner: String = "operator", idle: Duration? = nil) {
            self.sandbox = sandbox
            self.profile = profile
            self.owner = owner
            self.idle = idle
        }
    }

    let name: String
    let launch: Launch
    let sandboxing: Sandboxing?
    let clientInfo: JSONValue
    let logger: Logger
    private var peer: ChannelPeer?
    private var process: Task<Void, Never>?
    private var description: BackendDescription?
    /// The era learned on the first successful connection, kept across restarts.
    private var knownEra: ProtocolEra?
    private var isShutDown = false
    private var notificationHandler: (@Sendable (BackendNotification) -> Void)?
    private var inFlight = 0
    private var lastUsed = ContinuousClock.now
    /// Stopped for want of use, or to make room for another: not a failure; the next request starts it again.
    public private(set) var isResting = false
    private var idleCheckPending = false

    public init(name: String, launch: Launch, sandboxing: Sandboxing? = nil, gatewayVersion: String, logger: Logger) {
        self.name = name
        self.launch = launch
        self.sandboxing = sandboxing
        self.clientInfo = BackendNegotiation.clientInfo(version: gatewayVersion)
        var logger = logger
        logger[metadataKey: "backend"] = .string(name)
        self.logger = logger
    }

    public func connect(notifications: @escaping @Sendable (BackendNotification) -> Void) async throws -> BackendDescription {
        guard !isShutDown else { throw BackendError.shutDown }
        notificationHandler = notifications
        if let peer, let description {
            await peer.setNotificationHandler(notifications)
            return description
        }
        stopProcess()
        let started = ContinuousClock.now
        do {
            let description = try await ChannelNegotiation.connect(
                knownEra: knownEra, clientInfo: clientInfo, notifications: notifications,
                open: { await self.startProcess() }, close: { await self.stopProcess() })
            self.description = description
            knownEra = description.era
            isResting = false
            if let sandboxing {
                await sandboxing.sandbox.recordStart(.now - started)
                await sandboxing.sandbox.register(self, owner: sandboxing.owner)
                lastUsed = .now
                scheduleIdleCheck()
            }
            return description
        } catch {
            stopProcess()
            throw error
        }
    }

    public func send(_ request: BackendRequest, observer: any BackendRequestObserver) async throws -> Result<
        JSONValue, JSONRPC.Failure
    > {
        guard !isShutDown else { throw BackendError.shutDown }
        if peer == nil, isResting, let handler = notificationHandler { _ = try await connect(notifications: handler) }
        guard let peer, let description else { throw BackendError.unreachable("the process is not running") }
        inFlight += 1
        lastUsed = .now
        defer {
            inFlight -= 1
            lastUsed = .now
            scheduleIdleCheck()
        }
        return try await ChannelNegotiation.send(
            request, era: description.era, clientInfo: clientInfo, peer: peer, observer: observer)
    }

    public func endSession(_ key: String) async {}

    /// When the process is up (its handshake done), has answered its last request and has nothing in flight, since
    /// when; nil otherwise (a process still starting is never stopped to make room: it may be the one asking).
    public func idleSince() -> ContinuousClock.Instant? {
        guard peer != nil, description != nil, inFlight == 0 else { return nil }
        return lastUsed
    }

    /// Stops the process if nothing is in flight, without it counting as a failure: the next request starts it.
    @discardableResult
    public func rest(because reason: String) async -> Bool {
        guard let running = process, peer != nil, description != nil, inFlight == 0, !isShutDown else { return false }
        logger.info("backend process stopped until it is needed again: \(reason)")
        isResting = true
        running.cancel()
        await running.value
        return true
    }

    private var idleTimeout: Duration? { sandboxing?.idle ?? sandboxing?.sandbox.idle }

    /// One timer at a time, however many calls there are: when it fires it either stops the unused process or waits
    /// for the rest of the idle time from the last use.
    private func scheduleIdleCheck(after delay: Duration? = nil) {
        guard !idleCheckPending, let wait = delay ?? idleTimeout else { return }
        idleCheckPending = true
        Task { [weak self] in
            try? await Task.sleep(for: wait)
            await self?.idleCheckDue()
        }
    }

    private func idleCheckDue() async {
        idleCheckPending = false
        guard let idle = idleTimeout, peer != nil, !isShutDown else { return }
        let unused = ContinuousClock.now - lastUsed
        if inFlight == 0, unused >= idle {
            if await !rest(because: "unused for \(idle.secondsDescription)") { scheduleIdleCheck() }
        } else {
            scheduleIdleCheck(after: inFlight == 0 ? idle - unused : idle)
        }
    }

    public func replace(because reason: String) async {
        guard let peer, let running = process else { return }
        logger.warning("replacing the backend process: \(reason)")
        await peer.close(.unreachable(reason))
        running.cancel()
        await running.value
    }

    public func shutdown() async {
        isShutDown = true
        let running = process
        stopProcess()
        await running?.value
    }

    private func stopProcess() {
        process?.cancel()
        process = nil
        peer = nil
        description = nil
    }

    /// Starts the child; the returned peer talks to it until it exits.
    private func startProcess() -> ChannelPeer {
        let (outbound, outboundWriter) = AsyncStream<[UInt8]>.makeStream(bufferingPolicy: .unbounded)
        let peer = ChannelPeer(logger: logger) { message in
            var line = message.serializedBytes()
            line.append(0x0A)
            outboundWriter.yield(line)
        }
        self.peer = peer
        let logger = self.logger
        let configured = self.launch
        let sandboxing = self.sandboxing
        process = Task { [weak self] in
            var launch = configured
            var prepared: CommandSandbox.Prepared?
            if let sandboxing {
                do {
                    prepared = try await sandboxing.sandbox.prepare(
                        configured, profile: sandboxing.profile, owner: sandboxing.owner)
                    launch = prepared?.launch ?? launch
                } catch {
                    outboundWriter.finish()
                    await peer.close(.unreachable("cannot start \(configured.command) in its sandbox: \(error)"))
                    logger.warning("backend process not started: \(error)")
                    await self?.processEnded(peer)
                    return
                }
            }
            let reason = await Self.run(
                launch, prepared: prepared, limits: sandboxing?.profile.limits, outbound: outbound, peer: peer, logger: logger)
            if let prepared, let sandboxing { await sandboxing.sandbox.release(prepared) }
            outboundWriter.finish()
            await peer.close(reason)
            logger.warning("backend process ended: \(reason)")
            await self?.processEnded(peer)
        }
        return peer
    }

    /// Runs the child until it exits, relaying `outbound` to its stdin and its stdout to `peer`; returns why it ended.
    /// With `limits` (a sandboxed child), a line or a minute of output past them stops it.
    private static func run(
        _ launch: Launch, prepared: CommandSandbox.Prepared?, limits: SandboxLimits?, outbound: AsyncStream<[UInt8]>,
        peer: ChannelPeer, logger: Logger
    ) async -> BackendError {
        let executable: Executable = launch.command.contains("/") ? .path(FilePath(launch.command)) : .name(launch.command)
        var options = prepared.map(CommandSandbox.options) ?? PlatformOptions()
        if prepared == nil {
            // A process group of its own, so that a wrapper (npx, uv run) and what it starts stop together.
            options.processGroupID = 0
        }
        options.teardownSequence = [.gracefulShutDown(allowedDurationToNextStep: .seconds(3))]
        let environment = Environment.custom(
            Dictionary(
                uniqueKeysWithValues: launch.environment.compactMap { key, value in
                    Environment.Key(rawValue: key).map { ($0, value) }
                }))
        let directory = launch.workingDirectory.map { FilePath($0) }
        let report = ChildReport()
        do {
            let result = try await Subprocess.run(
                executable, arguments: Arguments(launch.arguments), environment: environment, workingDirectory: directory,
                platformOptions: options, input: .inputWriter, output: .sequence, error: .sequence
            ) { execution in
                logger.info("backend process started", metadata: ["pid": "\(execution.processIdentifier.value)"])
                await withTaskGroup(of: Void.self) { group in
                    group.addTask {
                        for await line in outbound {
                            do { _ = try await execution.standardInputWriter.write(line) } catch { break }
                        }
                    }
                    group.addTask {
                        _ = await Self.readLines(execution.standardError, limit: 64 * 1024) { line in
                            let text = String(decoding: line, as: UTF8.self)
                            guard !text.isEmpty else { return }
                            report.lastError.withLock { $0 = String(text.prefix(300)) }
                            logger.notice("\(text)", metadata: ["stream": "stderr"])
                        }
                    }
                    // The child's stdout ending means it is gone (or going): stop the writer with it.
                    let overflow = await Self.readLines(
                        execution.standardOutput, limit: limits?.messageBytes ?? Self.maximumLineBytes,
                        strict: limits != nil, perMinute: limits?.outputBytesPerMinute
                    ) { line in
                        guard !line.isEmpty else { return }
                        guard let value = try? JSONValue.parseMessage(line) else {
                            logger.debug("ignoring a line on stdout that is not JSON")
                            return
                        }
                        await peer.receive(value)
                    }
                    if let overflow {
                        report.stopped.withLock { $0 = overflow }
                        try? execution.send(signal: .kill)
                    }
                    group.cancelAll()
                }
            }
            if let overflow = report.stopped.withLock({ $0 }) { return .unreachable("stopped: it \(overflow)") }
            return .unreachable(
                Self.exitDescription(result.terminationStatus, limits: limits, lastError: report.lastError.withLock { $0 }))
        } catch is CancellationError {
            return .shutDown
        } catch {
            return .unreachable("cannot start \(launch.command): \(error)")
        }
    }

    /// Why the process ended, as `/status` shows it: its exit, the limit that stopped it, its last word on stderr.
    static func exitDescription(_ status: TerminationStatus, limits: SandboxLimits?, lastError: String) -> String {
        // A sandbox's process is bwrap's child: bwrap reports a death by signal as 128 plus the signal.
        var signal: CInt?
        switch status {
        case .signaled(let number): signal = number
        case .exited(let code) where limits != nil && code > 128 && code < 128 + 64: signal = code - 128
        case .exited: signal = nil
        }
        var text: String
        switch (status, signal) {
        case (_, SIGXCPU?): text = "the process used up its CPU time limit (\(limits?.cpuSeconds ?? 0) s)"
        case (_, let signal?): text = "the process was stopped by signal \(signal)"
        case (.exited(let code), nil): text = "the process exited (\(code))"
        case (.signaled, nil): text = "the process was stopped"
        }
        if !lastError.isEmpty { text += ": " + lastError }
        return text
    }

    /// Forgets the process, so that the next `connect` starts a new one, and tells the gateway.
    private func processEnded(_ ended: ChannelPeer) {
        guard peer === ended else { return }
        peer = nil
        description = nil
        process = nil
        if !isShutDown, !isResting {
            notificationHandler?(BackendNotification(method: BackendNotification.disconnected, params: nil))
        }
    }

    /// Hands `handle` each line of `sequence`. A line past `limit` is dropped whole rather than buffered without end;
    /// when `strict`, it (or more than `perMinute` bytes in a minute) ends the reading instead, and says why.
    private static func readLines(
        _ sequence: SubprocessOutputSequence, limit: Int, strict: Bool = false, perMinute: Int? = nil,
        _ handle: ([UInt8]) async -> Void
    ) async -> String? {
        var line: [UInt8] = []
        var discarding = false
        var minute = ContinuousClock.now
        var bytesThisMinute = 0
        do {
            for try await buffer in sequence {
                let bytes = buffer.withUnsafeBytes { Array($0) }
                if let perMinute {
                    if ContinuousClock.now - minute >= .seconds(60) {
                        minute = .now
                        bytesThisMinute = 0
                    }
                    bytesThisMinute += bytes.count
                    if bytesThisMinute > perMinute { return "wrote more than \(perMinute) bytes in a minute" }
                }
                var start = 0
                for (index, byte) in bytes.enumerated() where byte == 0x0A {
                    if !discarding { line.append(contentsOf: bytes[start..<index]) }
                    if !discarding, !(strict && line.count > limit) { await handle(line) }
                    if strict && line.count > limit { return "wrote a line longer than \(limit) bytes" }
                    line.removeAll(keepingCapacity: true)
                    discarding = false
                    start = index + 1
                }
                if !discarding { line.append(contentsOf: bytes[start...]) }
                if line.count > limit {
                    if strict { return "wrote a line longer than \(limit) bytes" }
                    line.removeAll()
                    discarding = true
                }
            }
        } catch {}
        if !line.isEmpty && !discarding { await handle(line) }
        return nil
    }
}

/// What a child's streams tell the task that waits for it to end.
private final class ChildReport: Sendable {
    let lastError = Mutex("")
    /// Why the gateway stopped it, if it did.
    let stopped = Mutex<String?>(nil)
}
