import Testing

@testable import MCPBackends

/// The sandbox's command line: what it binds and unshares, and what it never does, for each kind of network.
struct BubblewrapInvocationTests {
    func invocation(_ network: SandboxProfile.Network, paths: [String] = [], directory: String? = nil)
        -> BubblewrapInvocation
    {
        var profile = SandboxProfile(network: network, readOnlyPaths: paths)
        profile.limits.tmpBytes = 1 << 20
        return BubblewrapInvocation(
            profile: profile, rootLinks: ["/bin": "usr/bin", "/lib": "usr/lib"], rootDirectories: ["/lib64"],
            runtimeDirectory: "/run/sb/7", executable: "/usr/bin/python3", arguments: ["server.py", "--flag; rm -rf /"],
            workingDirectory: directory)
    }

    /// The (source, destination) pairs of every bind of one kind.
    func binds(_ arguments: [String], _ flag: String) -> [[String]] {
        arguments.indices.filter { arguments[$0] == flag }.map { Array(arguments[($0 + 1)...($0 + 2)]) }
    }

    @Test func everyNamespaceIsNewAndNothingOfTheHostIsWritable() {
        let arguments = invocation(.none).bubblewrapArguments()
        for flag in [
            "--unshare-user", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup", "--unshare-net",
            "--die-with-parent", "--new-session", "--disable-userns",
        ] {
            #expect(arguments.contains(flag), "\(flag)")
        }
        #expect(arguments.firstRange(of: ["--cap-drop", "ALL"]) != nil)
        #expect(binds(arguments, "--bind").isEmpty, "nothing of the host is bound writable")
        let readOnly = binds(arguments, "--ro-bind").map(\.[0])
        #expect(readOnly == ["/usr", "/lib64", "/run/sb/7/passwd", "/run/sb/7/group"])
        #expect(!readOnly.contains("/") && !readOnly.contains { $0.hasPrefix("/home") || $0.hasPrefix("/root") })
        #expect(binds(arguments, "--ro-bind-try").map(\.[0]).allSatisfy { $0.hasPrefix("/etc/") })
        #expect(!arguments.contains("/etc/resolv.conf"), "no name resolution without a network")
        #expect(arguments.firstRange(of: ["--symlink", "usr/bin", "/bin"]) != nil)
    }

    @Test func theHomeAndTmpAreSizedTmpfsAndTheCommandStartsInTheHome() {
        let arguments = invocation(.none).bubblewrapArguments()
        // `--size` counts only right before its `--tmpfs`.
        #expect(arguments.firstRange(of: ["--size", "1048576", "--tmpfs", "/tmp"]) != nil)
        #expect(arguments.firstRange(of: ["--perms", "0700", "--size", "1048576", "--tmpfs", "/home/sandbox"]) != nil)
        #expect(arguments.firstRange(of: ["--chdir", "/home/sandbox", "--"]) != nil)
        // The command comes last, its arguments as they are: no shell reads them.
        #expect(Array(arguments.suffix(3)) == ["/usr/bin/python3", "server.py", "--flag; rm -rf /"])
    }

    @Test func namedPathsAndTheWorkingDirectoryAreBoundReadOnly() {
        let arguments = invocation(.none, paths: ["/opt/venv"], directory: "/srv/tool").bubblewrapArguments()
        let readOnly = binds(arguments, "--ro-bind")
        #expect(readOnly.contains(["/opt/venv", "/opt/venv"]) && readOnly.contains(["/srv/tool", "/srv/tool"]))
        #expect(arguments.firstRange(of: ["--chdir", "/srv/tool", "--"]) != nil)
    }

    @Test func aProxiedNetworkIsTheProxysSocketAndARelayBesideTheCommand() {
        let invocation = invocation(.proxy)
        let arguments = invocation.bubblewrapArguments()
        #expect(arguments.contains("--unshare-net"))
        #expect(binds(arguments, "--ro-bind").contains(["/run/sb/7/egress.sock", BubblewrapInvocation.egressSocket]))
        let command = Array(arguments.suffix(7))
        #expect(command[0...1] == ["/bin/sh", "-c"] && command[2].contains("socat TCP-LISTEN:3128,bind=127.0.0.1"))
        #expect(command[2].hasSuffix("exec \"$@\"") && !command[2].contains("python3"))
        #expect(Array(command[3...]) == ["sandbox", "/usr/bin/python3", "server.py", "--flag; rm -rf /"])
        let environment = invocation.environment(["TOKEN": "t"])
        #expect(environment["HTTPS_PROXY"] == "http://127.0.0.1:3128" && environment["NO_PROXY"]?.contains("127.0.0.1") == true)
    }

    @Test func onlyTheHostNetworkSharesTheHostsInterfacesAndResolver() {
        let arguments = invocation(.host).bubblewrapArguments()
        #expect(!arguments.contains("--unshare-net"))
        #expect(binds(arguments, "--ro-bind-try").contains(["/etc/resolv.conf", "/etc/resolv.conf"]))
        #expect(invocation(.host).environment([:])["HTTPS_PROXY"] == nil)
    }

    @Test func theEnvironmentIsTheDefinitionsAndTheSandboxsOwn() {
        let environment = invocation(.none).environment(["API_KEY": "k", "PATH": "/opt/bin:/usr/bin", "HOME": "/root"])
        #expect(
            environment == [
                "API_KEY": "k", "PATH": "/opt/bin:/usr/bin", "HOME": "/home/sandbox", "USER": "sandbox", "LOGNAME": "sandbox",
                "TMPDIR": "/tmp",
            ])
    }
}
