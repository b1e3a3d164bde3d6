/// The `bwrap` command line that runs one command backend, built from its profile as a list of arguments (never a
/// shell string). Everything is denied unless named here: new user, pid, ipc, uts and cgroup namespaces and, unless
/// the profile shares the host's, a network namespace of its own; no capabilities; the system's runtime read-only;
/// a private home and `/tmp` of capped size; no view of the gateway's files, its processes or its environment.
public struct BubblewrapInvocation: Sendable, Equatable {
    /// The sandbox's home, a private tmpfs, and its working directory.
    public static let home = "/home/sandbox"
    /// Where the egress proxy's socket appears inside, and the port the relay beside the command listens on.
    public static let egressSocket = "/run/gateway/egress.sock"
    public static let proxyPort = 3128
    /// The uid and gid the command has inside (the sandbox's own user namespace maps them to the host's).
    public static let insideID = 1000

    public var profile: SandboxProfile
    /// Top-level directories that are links into `/usr` on this host ("/bin" → "usr/bin"): recreated as links.
    public var rootLinks: [String: String]
    /// Top-level system directories that are real directories on this host: bound read-only.
    public var rootDirectories: [String]
    /// The host directory of this sandbox's own files: `passwd`, `group` and, with a proxied network, the socket.
    public var runtimeDirectory: String
    public var executable: String
    public var arguments: [String]
    /// The definition's working directory, bound read-only and started in; the private home otherwise.
    public var workingDirectory: String?

    public init(
        profile: SandboxProfile, rootLinks: [String: String], rootDirectories: [String], runtimeDirectory: String,
        executable: String, arguments: [String], workingDirectory: String? = nil
    ) {
        self.profile = profile
        self.rootLinks = rootLinks
        self.rootDirectories = rootDirectories
        self.runtimeDirectory = runtimeDirectory
        self.executable = executable
        self.arguments = arguments
        self.workingDirectory = workingDirectory
    }

    /// Files of the host's `/etc` a command may need: TLS roots, time zone, the loader's cache. Bound when present.
    static let systemFiles = ["/etc/ssl", "/etc/ca-certificates", "/etc/localtime", "/etc/ld.so.cache", "/etc/alternatives"]
    /// What name resolution needs, for a sandbox on the host's network only (the proxy resolves names itself).
    static let resolverFiles = ["/etc/resolv.conf", "/etc/hosts", "/etc/nsswitch.conf", "/etc/gai.conf"]

    /// The arguments after `bwrap`.
    public func bubblewrapArguments() -> [String] {
        var list = [
            "--unshare-user", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup",
        ]
        if profile.network != .host { list.append("--unshare-net") }
        list += [
            "--die-with-parent", "--new-session", "--cap-drop", "ALL", "--disable-userns",
            "--uid", String(Self.insideID), "--gid", String(Self.insideID), "--hostname", "sandbox",
            "--ro-bind", "/usr", "/usr",
        ]
        for (path, target) in rootLinks.sorted(by: { $0.key < $1.key }) { list += ["--symlink", target, path] }
        for path in rootDirectories.sorted() { list += ["--ro-bind", path, path] }
        for path in Self.systemFiles { list += ["--ro-bind-try", path, path] }
        if profile.network == .host {
            for path in Self.resolverFiles { list += ["--ro-bind-try", path, path] }
        }
        list += [
            "--ro-bind", runtimeDirectory + "/passwd", "/etc/passwd",
            "--ro-bind", runtimeDirectory + "/group", "/etc/group",
            "--proc", "/proc", "--dev", "/dev",
            // `--size` applies only to a `--tmpfs` right after it.
            "--perms", "1777", "--size", String(profile.limits.tmpBytes), "--tmpfs", "/tmp",
            "--perms", "0700", "--size", String(profile.limits.tmpBytes), "--tmpfs", Self.home,
        ]
        for path in profile.readOnlyPaths { list += ["--ro-bind", path, path] }
        if let workingDirectory, !profile.readOnlyPaths.contains(workingDirectory) {
            list += ["--ro-bind", workingDirectory, workingDirectory]
        }
        if profile.network == .proxy { list += ["--ro-bind", runtimeDirectory + "/egress.sock", Self.egressSocket] }
        list += ["--chdir", workingDirectory ?? Self.home, "--"]
        return list + command()
    }

    /// The command inside: with a proxied network, a relay from the proxy port on loopback to the proxy's socket
    /// starts first, and the command replaces the shell that started it (its arguments are never parsed by it).
    func command() -> [String] {
        guard profile.network == .proxy else { return [executable] + arguments }
        let relay =
            "/usr/bin/socat TCP-LISTEN:\(Self.proxyPort),bind=127.0.0.1,fork,reuseaddr UNIX-CONNECT:\(Self.egressSocket) &"
            + " exec \"$@\""
        return ["/bin/sh", "-c", relay, "sandbox", executable] + arguments
    }

    /// The command's whole environment: what its definition sets, and the sandbox's own home, temporary directory
    /// and proxy. `bwrap` passes it on as it gets it, so it is also all that `bwrap` itself holds.
    public func environment(_ configured: [String: String]) -> [String: String] {
        var environment = configured
        environment["HOME"] = Self.home
        environment["USER"] = "sandbox"
        environment["LOGNAME"] = "sandbox"
        environment["TMPDIR"] = "/tmp"
        if environment["PATH"] == nil { environment["PATH"] = "/usr/local/bin:/usr/bin:/bin" }
        if profile.network == .proxy {
            let proxy = "http://127.0.0.1:\(Self.proxyPort)"
            for name in ["HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"] {
                environment[name] = proxy
            }
            // Its own loopback only ("localhost" names nothing inside: there is no hosts file).
            environment["NO_PROXY"] = "127.0.0.1,::1"
            environment["no_proxy"] = "127.0.0.1,::1"
        }
        return environment
    }

    /// The files of `runtimeDirectory`: a user table that names the sandbox's user, so programs that look it up work.
    public static var passwdFile: String {
        "root:x:0:0::/:/usr/sbin/nologin\nsandbox:x:\(insideID):\(insideID)::\(home):/usr/sbin/nologin\n"
    }
    public static var groupFile: String { "root:x:0:\nsandbox:x:\(insideID):\n" }
}
