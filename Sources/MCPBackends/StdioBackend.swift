import Foundation
import Logging
import MCPCore
import Subprocess

#if canImport(System)
    import System
#else
    import SystemPackage
#endif

/// A backend run as a child process speaking newline-delimited JSON-RPC on stdin and stdout.
/// Every client request shares the one child; its stderr goes to the log under the backend's name.
/// When the child dies, open requests fail and the next `connect` starts a new one.
public actor StdioBackend: Backend {
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

    let name: String
    let launch: Launch
    let clientInfo: JSONValue
    let logger: Logger
    private var peer: ChannelPeer?
    private var process: Task<Void, Never>?
    private var description: BackendDescription?
    /// The era learned on the first successful connection, kept across restarts.
    private var knownEra: ProtocolEra?
    private var isShutDown = false
    private var notificationHandler: (@Sendable (BackendNotification) -> Void)?

    public init(name: String, launch: Launch, gatewayVersion: String, logger: Logger) {
        self.name = name
        self.launch = launch
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
        do {
            let description = try await ChannelNegotiation.connect(
                knownEra: knownEra, clientInfo: clientInfo, notifications: notifications,
                open: { await self.startProcess() }, close: { await self.stopProcess() })
            self.description = description
            knownEra = description.era
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
        guard let peer, let description else { throw BackendError.unreachable("the process is not running") }
        return try await ChannelNegotiation.send(
            request, era: description.era, clientInfo: clientInfo, peer: peer, observer: observer)
    }

    public func endSession(_ key: String) async {}

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
        let launch = self.launch
        let logger = self.logger
        let executable: Executable = launch.command.contains("/") ? .path(FilePath(launch.command)) : .name(launch.command)
        var options = PlatformOptions()
        // A process group of its own, so that a wrapper (npx, uv run) and what it starts stop together.
        options.processGroupID = 0
        options.teardownSequence = [.gracefulShutDown(allowedDurationToNextStep: .seconds(3))]
        let environment = Environment.custom(
            Dictionary(
                uniqueKeysWithValues: launch.environment.compactMap { key, value in
                    Environment.Key(rawValue: key).map { ($0, value) }
                }))
        let directory = launch.workingDirectory.map { FilePath($0) }

        process = Task { [weak self] in
            let reason: BackendError
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
                            await Self.readLines(execution.standardError, limit: 64 * 1024) { line in
                                let text = String(decoding: line, as: UTF8.self)
                                if !text.isEmpty { logger.notice("\(text)", metadata: ["stream": "stderr"]) }
                            }
                        }
                        // The child's stdout ending means it is gone (or going): stop the writer with it.
                        await Self.readLines(execution.standardOutput, limit: Self.maximumLineBytes) { line in
                            guard !line.isEmpty else { return }
                            guard let value = try? JSONValue.parseMessage(line) else {
                                logger.debug("ignoring a line on stdout that is not JSON")
                                return
                            }
                            await peer.receive(value)
                        }
                        outboundWriter.finish()
                        group.cancelAll()
                    }
                }
                reason = .unreachable("the process exited (\(result.terminationStatus))")
            } catch is CancellationError {
                reason = .shutDown
            } catch {
                reason = .unreachable("cannot start \(launch.command): \(error)")
            }
            outboundWriter.finish()
            await peer.close(reason)
            logger.warning("backend process ended: \(reason)")
            await self?.processEnded(peer)
        }
        return peer
    }

    /// Forgets the process, so that the next `connect` starts a new one, and tells the gateway.
    private func processEnded(_ ended: ChannelPeer) {
        guard peer === ended else { return }
        peer = nil
        description = nil
        process = nil
        if !isShutDown { notificationHandler?(BackendNotification(method: BackendNotification.disconnected, params: nil)) }
    }

    private static func readLines(
        _ sequence: SubprocessOutputSequence, limit: Int, _ handle: ([UInt8]) async -> Void
    ) async {
        var line: [UInt8] = []
        var discarding = false
        do {
            for try await buffer in sequence {
                let bytes = buffer.withUnsafeBytes { Array($0) }
                var start = 0
                for (index, byte) in bytes.enumerated() where byte == 0x0A {
                    if !discarding { line.append(contentsOf: bytes[start..<index]) }
                    if !discarding { await handle(line) }
                    line.removeAll(keepingCapacity: true)
                    discarding = false
                    start = index + 1
                }
                if !discarding { line.append(contentsOf: bytes[start...]) }
                // A line past the limit is dropped whole rather than buffered without end.
                if line.count > limit {
                    line.removeAll()
                    discarding = true
                }
            }
        } catch {}
        if !line.isEmpty && !discarding { await handle(line) }
    }
}
