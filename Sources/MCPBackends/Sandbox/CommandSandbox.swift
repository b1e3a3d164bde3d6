import Foundation
import Logging
import MCPCore
import Subprocess

#if canImport(System)
    import System
#else
    import SystemPackage
#endif

/// Runs command backends under bubblewrap. Found and tried once at start: where `bwrap` is missing or cannot make
/// namespaces here, `availability` says why, and nothing is run sandboxed. When the gateway runs as root, each
/// sandbox runs as a host user of its own from `userIDs`, so that the process limit counts its processes alone and
/// no host file is its own; otherwise every sandbox runs as the gateway's user.
public actor CommandSandbox {
    public enum Availability: Sendable, Equatable {
        case available
        case unavailable(String)
    }

    /// One sandbox made ready to start: the launch that starts it, and what to give back when it has ended.
    public struct Prepared: Sendable {
        public var launch: StdioBackend.Launch
        public var runtimeDirectory: String
        var userID: UInt32?
        /// The proxy a sandbox with a proxied network reaches the world through.
        var egress: EgressProxy?
        var owner: String
    }

    /// How many sandboxed processes may run at once, in all and for one owner (the operator's own count only against
    /// the total).
    public struct Caps: Sendable, Equatable {
        public var total: Int
        public var perOwner: Int

        public init(total: Int = 100, perOwner: Int = 10) {
            self.total = total
            self.perOwner = perOwner
        }
    }

    /// A backend whose sandboxed process may be stopped to make room, known by its owner.
    struct Occupant {
        weak var backend: StdioBackend?
        var owner: String
    }

    public nonisolated let availability: Availability
    let bubblewrap: String
    let prlimit: String
    /// Changes to the sandbox's own host user, when it has one.
    let setpriv: String
    /// Where each sandbox's own files go (`passwd`, `group`, the proxy's socket), one directory each.
    let runtimeRoot: String
    let userIDs: ClosedRange<UInt32>?
    /// What a sandbox with a proxied network may reach; without it, such a sandbox is refused.
    let egressPolicy: EgressPolicy?
    let logger: Logger
    let rootLinks: [String: String]
    let rootDirectories: [String]
    private var usersInUse: Set<UInt32> = []
    private var running = 0
    private var runningByOwner: [String: Int] = [:]
    private var occupants: [ObjectIdentifier: Occupant] = [:]
    public nonisolated let caps: Caps
    /// How long a sandboxed process may go unused before it is stopped (nil: never).
    public nonisolated let idle: Duration?
    /// How long the last sandboxed processes took from start to their first answer (the most recent 100).
    private var startTimes: [Duration] = []
    /// Where the search for a free user starts, so that two gateways on one host rarely share one.
    private lazy var firstUser: UInt32 = userIDs.map { UInt32.random(in: $0) } ?? 0
    private var serial = 0

    init(
        availability: Availability, bubblewrap: String, prlimit: String, setpriv: String = "", runtimeRoot: String,
        userIDs: ClosedRange<UInt32>?, egressPolicy: EgressPolicy? = nil, caps: Caps = Caps(), idle: Duration? = nil,
        logger: Logger = Logger(label: "sandbox"), rootLinks: [String: String], rootDirectories: [String]
    ) {
        self.caps = caps
        self.idle = idle
        self.egressPolicy = egressPolicy
        self.logger = logger
        self.availability = availability
        self.bubblewrap = bubblewrap
        self.prlimit = prlimit
        self.setpriv = setpriv
        self.runtimeRoot = runtimeRoot
        self.userIDs = userIDs
        self.rootLinks = rootLinks
        self.rootDirectories = rootDirectories
    }

    /// A sandbox that runs nothing, and says why.
    public static func unavailable(_ reason: String) -> CommandSandbox {
        CommandSandbox(
            availability: .unavailable(reason), bubblewrap: "", prlimit: "", runtimeRoot: "", userIDs: nil, rootLinks: [:],
            rootDirectories: [])
    }

    /// Finds `bwrap` and `prlimit` on the usual paths and runs `true` in a sandbox to see that namespaces work.
    /// `runtimeRoot` may be shared by several gateways on one host: each keeps its sandboxes' files in a directory
    /// of its own below it, and starts taking users at a random place in `userIDs`.
    public static func locate(
        runtimeRoot shared: String, userIDs: ClosedRange<UInt32> = 200_000...200_999, egress: EgressPolicy? = nil,
        caps: Caps = Caps(), idle: Duration? = nil, logger: Logger
    ) async -> CommandSandbox {
        let runtimeRoot = shared + "/" + String(getpid())
        let (links, directories) = hostLayout()
        let users = getuid() == 0 ? userIDs : nil
        func unavailable(_ reason: String) -> CommandSandbox {
            logger.warning("command backends cannot be sandboxed here", metadata: ["reason": "\(reason)"])
            return CommandSandbox(
                availability: .unavailable(reason), bubblewrap: "", prlimit: "", runtimeRoot: runtimeRoot,
                userIDs: users, rootLinks: links, rootDirectories: directories)
        }
        guard let bubblewrap = executable("bwrap") else {
            return unavailable("bwrap is not installed (Debian: apt-get install bubblewrap)")
        }
        guard let prlimit = executable("prlimit"), let setpriv = executable("setpriv") else {
            return unavailable("prlimit and setpriv are not installed (Debian: apt-get install util-linux)")
        }
        do {
            try FileManager.default.createDirectory(atPath: shared, withIntermediateDirectories: true)
            let owner = (try FileManager.default.attributesOfItem(atPath: shared)[.ownerAccountID] as? NSNumber)
            guard owner?.uint32Value == getuid() else {
                return unavailable(
                    "\(shared) belongs to another user; set GATEWAY_SANDBOX_DIR to a directory of the gateway's own")
            }
            // A directory left by an earlier process of the same number holds nothing anyone needs.
            try? FileManager.default.removeItem(atPath: runtimeRoot)
            try FileManager.default.createDirectory(atPath: runtimeRoot, withIntermediateDirectories: false)
            // Each sandbox's user must reach its own directory below; nobody may list the others.
            chmod(shared, 0o711)
            chmod(runtimeRoot, 0o711)
        } catch {
            return unavailable("cannot make \(runtimeRoot): \(error.localizedDescription)")
        }
        let sandbox = CommandSandbox(
            availability: .available, bubblewrap: bubblewrap, prlimit: prlimit, setpriv: setpriv, runtimeRoot: runtimeRoot,
            userIDs: users, egressPolicy: egress, caps: caps, idle: idle, logger: logger, rootLinks: links,
            rootDirectories: directories)
        if let failure = await sandbox.trial() { return unavailable(failure) }
        return sandbox
    }

    /// Runs `/usr/bin/true` under the strictest profile; nil when it worked, else why not.
    private func trial() async -> String? {
        let launch = StdioBackend.Launch(command: "/usr/bin/true", arguments: [], environment: [:], workingDirectory: nil)
        let prepared: Prepared
        do {
            prepared = try await prepare(launch, profile: SandboxProfile())
        } catch {
            return "\(error)"
        }
        do {
            let (status, errors) = try await withTimeout(.seconds(10)) {
                let result = try await Subprocess.run(
                    .path(FilePath(prepared.launch.command)), arguments: Arguments(prepared.launch.arguments),
                    environment: .custom([:]), workingDirectory: "/", platformOptions: Self.options(prepared),
                    output: .discarded, error: .string(limit: 4096))
                return (result.terminationStatus, result.standardError)
            }
            await release(prepared)
            guard status.isSuccess else {
                let message = errors.trimmingCharacters(in: .whitespacesAndNewlines)
                return "bwrap cannot make a sandbox here (\(status)): \(message.prefix(300))"
            }
            return nil
        } catch {
            await release(prepared)
            return "bwrap could not be run: \(error)"
        }
    }

    /// How a prepared sandbox is spawned: in a process group of its own, through `posix_spawn` (the user is changed
    /// by `setpriv` after it: a forked copy of this multithreaded process could deadlock before it ran anything).
    static func options(_ prepared: Prepared) -> PlatformOptions {
        var options = PlatformOptions()
        options.processGroupID = 0
        return options
    }

    /// The launch of `launch`'s command in a sandbox of `profile`: `prlimit` sets the limits and starts `bwrap`,
    /// which starts the command. Refused when the command is not inside what the sandbox binds.
    public func prepare(_ launch: StdioBackend.Launch, profile: SandboxProfile, owner: String = "operator")
        async throws(SandboxError) -> Prepared
    {
        guard availability == .available else {
            if case .unavailable(let reason) = availability { throw .unavailable(reason) }
            throw .unavailable("unknown")
        }
        let executable = try resolve(launch, profile: profile)
        try await makeRoom(for: owner)
        if profile.network == .proxy, egressPolicy == nil {
            throw .unavailable("no egress proxy is set up for a sandbox whose network is \"proxy\"")
        }
        let user = try takeUser()
        serial += 1
        let directory = runtimeRoot + "/" + String(serial)
        do {
            let files = FileManager.default
            try? files.removeItem(atPath: directory)
            try files.createDirectory(atPath: directory, withIntermediateDirectories: false)
            try Data(BubblewrapInvocation.passwdFile.utf8).write(to: URL(fileURLWithPath: directory + "/passwd"))
            try Data(BubblewrapInvocation.groupFile.utf8).write(to: URL(fileURLWithPath: directory + "/group"))
            if let user {
                for path in [directory, directory + "/passwd", directory + "/group"] { chown(path, user, user) }
            }
            chmod(directory, 0o700)
        } catch {
            if let user { usersInUse.remove(user) }
            throw .setup("cannot make the sandbox's directory \(directory): \(error.localizedDescription)")
        }
        var egress: EgressProxy?
        if profile.network == .proxy, let egressPolicy {
            do {
                egress = try await EgressProxy.start(
                    socketPath: directory + "/egress.sock", policy: egressPolicy, logger: logger)
            } catch {
                try? FileManager.default.removeItem(atPath: directory)
                if let user { usersInUse.remove(user) }
                throw .setup("cannot start the sandbox's egress proxy: \(error)")
            }
        }
        let invocation = BubblewrapInvocation(
            profile: profile, rootLinks: rootLinks, rootDirectories: rootDirectories, runtimeDirectory: directory,
            executable: executable, arguments: launch.arguments, workingDirectory: launch.workingDirectory)
        let limits = profile.limits
        var arguments = [
            "--as=\(limits.memoryBytes)", "--cpu=\(limits.cpuSeconds):\(limits.cpuSeconds + 5)",
            "--nproc=\(processLimit(limits.processes, user: user))", "--nofile=\(limits.openFiles)", "--core=0", "--",
        ]
        if let user { arguments += [setpriv, "--reuid=\(user)", "--regid=\(user)", "--clear-groups", "--"] }
        arguments += [bubblewrap] + invocation.bubblewrapArguments()
        let wrapped = StdioBackend.Launch(
            command: prlimit, arguments: arguments, environment: invocation.environment(launch.environment),
            workingDirectory: "/")
        running += 1
        runningByOwner[owner, default: 0] += 1
        return Prepared(launch: wrapped, runtimeDirectory: directory, userID: user, egress: egress, owner: owner)
    }

    /// Gives back what `prepare` took, once the sandbox's process has ended.
    public func release(_ prepared: Prepared) async {
        running -= 1
        runningByOwner[prepared.owner, default: 1] -= 1
        await prepared.egress?.close()
        try? FileManager.default.removeItem(atPath: prepared.runtimeDirectory)
        if let user = prepared.userID { usersInUse.remove(user) }
    }

    /// A backend whose process runs here, so that it may be stopped to make room when the caps are reached.
    public func register(_ backend: StdioBackend, owner: String) {
        occupants = occupants.filter { $0.value.backend != nil }
        occupants[ObjectIdentifier(backend)] = Occupant(backend: backend, owner: owner)
    }

    /// Below the caps, or made so by stopping the least recently used idle process (of `owner`, when it is the
    /// owner's cap that is reached); when every one is busy (or still starting), waited for a few seconds, then
    /// refused.
    private func makeRoom(for owner: String) async throws(SandboxError) {
        let deadline = ContinuousClock.now + Self.roomWait
        func ownerFull() -> Bool { owner != Self.operatorOwner && runningByOwner[owner, default: 0] >= caps.perOwner }
        while running >= caps.total || ownerFull() {
            let ownersOnly = running < caps.total
            var oldest: (backend: StdioBackend, since: ContinuousClock.Instant)?
            for occupant in occupants.values where !ownersOnly || occupant.owner == owner {
                guard let backend = occupant.backend, let since = await backend.idleSince() else { continue }
                if oldest == nil || since < oldest!.since { oldest = (backend, since) }
            }
            if let oldest, await oldest.backend.rest(because: "making room for another sandboxed process") { continue }
            if ContinuousClock.now < deadline {
                try? await Task.sleep(for: .milliseconds(100))
                continue
            }
            throw .noRoom(
                ownersOnly
                    ? "\(caps.perOwner) sandboxed processes of this owner are running and busy, the most one owner runs"
                    : "\(caps.total) sandboxed processes are running and busy, the most this gateway runs")
        }
    }

    /// The owner of the operator's own backends, whose processes only the total cap counts.
    public static let operatorOwner = "operator"

    /// How long a start waits for a busy process to become idle, when the caps are reached.
    static let roomWait: Duration = .seconds(10)

    /// A sandboxed process answered its first request this long after it was started.
    public func recordStart(_ duration: Duration) {
        startTimes.append(duration)
        if startTimes.count > 100 { startTimes.removeFirst(startTimes.count - 100) }
    }

    /// For `/status`: whether sandboxes can be made (else why not), how many run, and how long they take to start.
    public func status() -> JSONValue {
        var row: [String: JSONValue] = ["running": .int(Int64(running))]
        switch availability {
        case .available: row["available"] = true
        case .unavailable(let reason):
            row["available"] = false
            row["reason"] = .string(reason)
        }
        if let last = startTimes.last {
            let sorted = startTimes.sorted()
            row["last_start_ms"] = .double(last.fractionalMilliseconds)
            row["median_start_ms"] = .double(sorted[sorted.count / 2].fractionalMilliseconds)
        }
        return .object(row)
    }

    private func takeUser() throws(SandboxError) -> UInt32? {
        guard let userIDs else { return nil }
        let start = firstUser
        let order = (start...userIDs.upperBound).lazy.map { $0 } + (userIDs.lowerBound..<start).lazy.map { $0 }
        guard let free = order.first(where: { !usersInUse.contains($0) }) else {
            throw .noRoom("all \(userIDs.count) sandbox users are in use")
        }
        usersInUse.insert(free)
        return free
    }

    /// RLIMIT_NPROC counts every process of the host user. A sandbox with a user of its own counts its own alone;
    /// one that shares the gateway's user may start `limit` more than that user runs now.
    private func processLimit(_ limit: UInt64, user: UInt32?) -> UInt64 {
        guard user == nil else { return limit }
        return limit + UInt64(Self.tasks(ofUser: getuid()))
    }

    /// The command's path inside: a path as given, a bare name looked up on the definition's PATH; either way it must
    /// lie in what the sandbox binds (a command elsewhere would not be there to run).
    func resolve(_ launch: StdioBackend.Launch, profile: SandboxProfile) throws(SandboxError) -> String {
        let visible =
            ["/usr/"] + rootLinks.keys.map { $0 + "/" } + rootDirectories.map { $0 + "/" }
            + profile.readOnlyPaths.map { $0.hasSuffix("/") ? $0 : $0 + "/" }
            + (launch.workingDirectory.map { [$0.hasSuffix("/") ? $0 : $0 + "/"] } ?? [])
        func inside(_ path: String) -> Bool { visible.contains { path.hasPrefix($0) } }
        if launch.command.contains("/") {
            guard launch.command.hasPrefix("/"), inside(launch.command) else {
                throw .commandOutside(
                    "\(launch.command) is not inside the sandbox (it sees /usr and the paths the definition binds); "
                        + "give an absolute path there, or bind its directory")
            }
            return launch.command
        }
        let path = launch.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for directory in path.split(separator: ":").map(String.init) where directory.hasPrefix("/") {
            let candidate = directory + "/" + launch.command
            if inside(candidate), FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw .commandOutside(
            "\(launch.command) is not found on PATH inside the sandbox (/usr and the paths the definition binds)")
    }

    static func executable(_ name: String) -> String? {
        ["/usr/bin/", "/usr/local/bin/", "/bin/"].map { $0 + name }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Which of `/bin`, `/sbin`, `/lib`, `/lib32`, `/lib64` are links into `/usr` here, and which real directories.
    static func hostLayout() -> (links: [String: String], directories: [String]) {
        var links: [String: String] = [:]
        var directories: [String] = []
        for path in ["/bin", "/sbin", "/lib", "/lib32", "/lib64"] {
            if let target = try? FileManager.default.destinationOfSymbolicLink(atPath: path) {
                links[path] = target
            } else {
                var isDirectory: ObjCBool = false
                if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
                    directories.append(path)
                }
            }
        }
        return (links, directories)
    }

    /// How many tasks (processes and threads) `user` runs now, as RLIMIT_NPROC counts them.
    static func tasks(ofUser user: uid_t) -> Int {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return 0 }
        var count = 0
        for entry in entries where entry.allSatisfy(\.isNumber) {
            guard let status = try? String(contentsOfFile: "/proc/\(entry)/status", encoding: .utf8) else { continue }
            var realUser: String?
            var threads = 1
            for line in status.split(separator: "\n") {
                if line.hasPrefix("Uid:") {
                    realUser = line.split(whereSeparator: \.isWhitespace).dropFirst().first.map(String.init)
                }
                if line.hasPrefix("Threads:"), let value = Int(line.split(whereSeparator: \.isWhitespace).last ?? "") {
                    threads = value
                }
            }
            if realUser == String(user) { count += threads }
        }
        return count
    }
}

/// Why a command backend cannot be started in a sandbox.
public enum SandboxError: Error, Sendable, Equatable, CustomStringConvertible {
    case unavailable(String)
    case commandOutside(String)
    case noRoom(String)
    case setup(String)

    public var description: String {
        switch self {
        case .unavailable(let reason): "the sandbox is not available on this host: \(reason)"
        case .commandOutside(let reason), .noRoom(let reason), .setup(let reason): reason
        }
    }
}
