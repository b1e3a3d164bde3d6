import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Synchronization
import Testing

@testable import OutboundHTTP

/// The outbound component against a real server on loopback: answers whole and streamed, limits, timeouts,
/// cancellation, refused connections and pinned addresses, each through both engines (the plain one and
/// AsyncHTTPClient, which carries https).
@Suite struct OutboundHTTPTests {
    enum Engine: CaseIterable, Sendable {
        case plain, asyncHTTPClient

        func component(pinning pinned: [String: String] = [:]) -> OutboundHTTP {
            var settings = OutboundHTTP.Settings()
            settings.pinnedAddresses = pinned
            settings.plainHTTPThroughAsyncHTTPClient = self == .asyncHTTPClient
            return OutboundHTTP(settings: settings)
        }
    }

    final class Written: Sendable {
        let chunks = Mutex(0)
        let hosts = Mutex<[String]>([])
    }

    func makeServer(_ written: Written) -> some ApplicationProtocol {
        Application(router: makeRouter(written))
    }

    func makeRouter(_ written: Written) -> Router<BasicRequestContext> {
        let router = Router()
        router.get("/document") { request, _ -> Response in
            written.hosts.withLock { $0.append(request.head.authority ?? "") }
            return Response(
                status: .ok, headers: [.contentType: "application/json", HTTPField.Name("X-Answer")!: "42"],
                body: .init(byteBuffer: ByteBuffer(string: #"{"answer": 42}"#)))
        }
        router.get("/large") { _, _ -> Response in
            Response(status: .ok, body: .init(byteBuffer: ByteBuffer(repeating: UInt8(ascii: "x"), count: 10_000)))
        }
        router.get("/chunked") { _, _ -> Response in
            // No Content-Length: the limit is found while reading.
            Response(
                status: .ok,
                body: ResponseBody { writer in
                    for _ in 0..<10 { try await writer.write(ByteBuffer(repeating: UInt8(ascii: "y"), count: 1000)) }
                    try await writer.finish(nil)
                })
        }
        router.get("/slow") { _, _ -> Response in
            try await Task.sleep(for: .seconds(3))
            return Response(status: .ok)
        }
        router.get("/slow-body") { _, _ -> Response in
            Response(
                status: .ok,
                body: ResponseBody { writer in
                    try await writer.write(ByteBuffer(string: "a"))
                    try await Task.sleep(for: .seconds(3))
                    try await writer.finish(nil)
                })
        }
        router.get("/events") { _, _ -> Response in
            Response(
                status: .ok, headers: [.contentType: "text/event-stream; charset=utf-8"],
                body: ResponseBody { writer in
                    for number in 1...3 {
                        try await writer.write(ByteBuffer(string: "data: \(number)\n\n"))
                        try await Task.sleep(for: .milliseconds(50))
                    }
                    try await Task.sleep(for: .milliseconds(2500))  // the head's timeout does not cover the body
                    try await writer.write(ByteBuffer(string: "data: last\n\n"))
                    try await writer.finish(nil)
                })
        }
        router.get("/flood") { _, _ -> Response in
            Response(
                status: .ok, headers: [.contentType: "text/event-stream"],
                body: ResponseBody { writer in
                    for _ in 0..<400 {
                        try await writer.write(ByteBuffer(repeating: UInt8(ascii: "z"), count: 64 * 1024))
                        written.chunks.withLock { $0 += 1 }
                    }
                    try await writer.finish(nil)
                })
        }
        router.get("/closing") { _, _ -> Response in
            Response(status: .ok, headers: [.connection: "close"], body: .init(byteBuffer: ByteBuffer(string: "bye")))
        }
        router.post("/echo") { request, _ -> Response in
            let body = try await request.body.collect(upTo: 1024)
            return Response(status: .created, body: .init(byteBuffer: body))
        }
        return router
    }

    func url(_ port: Int, _ path: String, host: String = "127.0.0.1") -> OutboundTarget {
        OutboundTarget("http://\(host):\(port)\(path)")!
    }

    func withComponent(_ engine: Engine, _ body: (OutboundHTTP) async throws -> Void) async throws {
        let http = engine.component()
        do {
            try await body(http)
        } catch {
            await http.shutdown()
            throw error
        }
        await http.shutdown()
    }

    @Test(arguments: Engine.allCases) func aDocumentIsReadWholeWithItsHead(engine: Engine) async throws {
        try await makeServer(Written()).test(.live) { server in
            try await withComponent(engine) { http in
                let response = try await http.send(
                    OutboundRequest(method: .GET, target: url(server.port!, "/document")), limit: 1024)
                #expect(response.status == 200)
                #expect(response.head.hasMediaType("application/json"))
                #expect(response.headers.first(name: "X-Answer") == "42")
                #expect(String(buffer: response.body) == #"{"answer": 42}"#)

                let echoed = try await http.send(
                    OutboundRequest(method: .POST, target: url(server.port!, "/echo"), body: ByteBuffer(string: "hello")),
                    limit: 1024,
                    timeout: .seconds(5))
                #expect(echoed.status == 201)
                #expect(String(buffer: echoed.body) == "hello")
            }
        }
    }

    @Test(arguments: Engine.allCases) func aBodyOverTheLimitFailsWhetherDeclaredOrNot(engine: Engine) async throws {
        try await makeServer(Written()).test(.live) { server in
            try await withComponent(engine) { http in
                for path in ["/large", "/chunked"] {
                    await #expect(throws: OutboundHTTPError.tooLarge(limit: 4096)) {
                        _ = try await http.send(OutboundRequest(method: .GET, target: url(server.port!, path)), limit: 4096)
                    }
                }
                // The connection pool is still good for the next request.
                let after = try await http.send(
                    OutboundRequest(method: .GET, target: url(server.port!, "/document")), limit: 1024)
                #expect(after.status == 200)
            }
        }
    }

    @Test(arguments: Engine.allCases) func aTimeoutCoversTheWholeAnswer(engine: Engine) async throws {
        try await makeServer(Written()).test(.live) { server in
            try await withComponent(engine) { http in
                for path in ["/slow", "/slow-body"] {
                    let started = ContinuousClock.now
                    await #expect(throws: OutboundHTTPError.timedOut) {
                        _ = try await http.send(
                            OutboundRequest(method: .GET, target: url(server.port!, path)), limit: 1024,
                            timeout: .milliseconds(200))
                    }
                    #expect(ContinuousClock.now - started < .seconds(2))
                }
            }
        }
    }

    @Test(arguments: Engine.allCases) func anEventStreamIsHandedOverAtItsHead(engine: Engine) async throws {
        try await makeServer(Written()).test(.live) { server in
            try await withComponent(engine) { http in
                let answer = try await http.exchange(
                    OutboundRequest(method: .GET, target: url(server.port!, "/events")), limit: 1024, timeout: .seconds(2)
                ) { head in head.hasMediaType("text/event-stream") }
                guard case .stream(let head, let body) = answer else {
                    Issue.record("the event stream was read whole")
                    return
                }
                #expect(head.status == 200)
                #expect(head.hasMediaType("text/event-stream") && !head.hasMediaType("text/event"))
                var text = ""
                for try await chunk in body { text += String(buffer: chunk) }
                #expect(text == "data: 1\n\ndata: 2\n\ndata: 3\n\ndata: last\n\n")

                // A document is still read whole when `streams` says no.
                let document = try await http.exchange(
                    OutboundRequest(method: .GET, target: url(server.port!, "/document")), limit: 1024
                ) { head in head.hasMediaType("text/event-stream") }
                guard case .whole(let response) = document else {
                    Issue.record("the document became a stream")
                    return
                }
                #expect(String(buffer: response.body) == #"{"answer": 42}"#)
            }
        }
    }

    @Test func mediaTypesAreReadWithoutCaseOrParameters() {
        func head(_ contentType: String?) -> OutboundHead {
            OutboundHead(status: 200, headers: contentType.map { ["Content-Type": $0] } ?? [:])
        }
        #expect(head("Text/Event-Stream; charset=utf-8").hasMediaType("text/event-stream"))
        #expect(head(" text/event-stream").hasMediaType("text/event-stream"))
        #expect(head("text/event-stream\t;charset=utf-8").hasMediaType("text/event-stream"))
        #expect(!head("text/event-streams").hasMediaType("text/event-stream"))
        #expect(!head("application/json").hasMediaType("text/event-stream"))
        #expect(!head(nil).hasMediaType("text/event-stream"))
    }

    @Test(arguments: Engine.allCases) func aStreamReadsAheadOnlyAFewChunksAndEndsWhenDropped(engine: Engine) async throws {
        let written = Written()
        try await makeServer(written).test(.live) { server in
            try await withComponent(engine) { http in
                let answer = try await http.exchange(
                    OutboundRequest(method: .GET, target: url(server.port!, "/flood")), limit: 1024
                ) { _ in true }
                guard case .stream(_, let body) = answer else {
                    Issue.record("the flood was read whole")
                    return
                }
                var iterator = body.makeAsyncIterator()
                _ = try await iterator.next()
                try await Task.sleep(for: .milliseconds(500))
                // Eight chunks buffered here plus what the sockets hold: far from the 400 (25 MiB) the server has.
                #expect(written.chunks.withLock { $0 } < 300)
            }
            try await Task.sleep(for: .milliseconds(300))
            let stalled = written.chunks.withLock { $0 }
            try await Task.sleep(for: .milliseconds(300))
            #expect(written.chunks.withLock { $0 } == stalled)
            #expect(stalled < 400)
        }
    }

    @Test(arguments: Engine.allCases) func cancellingTheCallerEndsTheRequest(engine: Engine) async throws {
        try await makeServer(Written()).test(.live) { server in
            try await withComponent(engine) { http in
                let port = server.port!
                let started = ContinuousClock.now
                let task = Task {
                    try await http.send(OutboundRequest(method: .GET, target: url(port, "/slow")), limit: 1024)
                }
                try await Task.sleep(for: .milliseconds(100))
                task.cancel()
                await #expect(throws: OutboundHTTPError.cancelled) { _ = try await task.value }
                #expect(ContinuousClock.now - started < .seconds(2))
            }
        }
    }

    @Test(arguments: Engine.allCases) func aRefusedConnectionAndABadURLSaySo(engine: Engine) async throws {
        try await withComponent(engine) { http in
            // A port just released: nothing listens there.
            let port = try await makeServer(Written()).test(.live) { server in server.port! }
            do {
                _ = try await http.send(OutboundRequest(method: .GET, target: url(port, "/")), limit: 1024, timeout: .seconds(5))
                Issue.record("the request should have failed")
            } catch {
                #expect(error as? OutboundHTTPError == .unreachable("connection refused"))
            }
            do {
                _ = try await http.send(
                    OutboundRequest(method: .GET, target: OutboundTarget("ftp://example.com/file")!), limit: 1024)
                Issue.record("an ftp URL should have been refused")
            } catch {
                guard case .invalidRequest? = error as? OutboundHTTPError else {
                    Issue.record("unexpected \(error)")
                    return
                }
            }
        }
    }

    @Test(arguments: Engine.allCases) func aPinnedHostReachesItsAddressUnderItsName(engine: Engine) async throws {
        let written = Written()
        try await makeServer(written).test(.live) { server in
            let http = engine.component(pinning: ["backend.invalid": "127.0.0.1"])
            let response = try await http.send(
                OutboundRequest(method: .GET, target: url(server.port!, "/document", host: "backend.invalid")), limit: 1024,
                timeout: .seconds(5))
            await http.shutdown()
            #expect(response.status == 200)
            #expect(written.hosts.withLock { $0 } == ["backend.invalid:\(server.port!)"])
        }
    }

    @Test(arguments: Engine.allCases) func connectionsAreKeptAndClosedOnesAreNotReused(engine: Engine) async throws {
        // The server closes a connection idle for 100 ms, as uvicorn does after 5 s.
        let server = Application(
            router: makeRouter(Written()), server: .http1(configuration: .init(idleTimeout: .milliseconds(100))),
            configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await server.test(.live) { server in
            try await withComponent(engine) { http in
                for round in 0..<30 {
                    let path = round % 3 == 0 ? "/closing" : "/document"
                    let response = try await http.send(
                        OutboundRequest(method: .GET, target: url(server.port!, path)), limit: 1024, timeout: .seconds(5))
                    #expect(response.status == 200)
                    if round % 10 == 9 { try await Task.sleep(for: .milliseconds(250)) }  // the kept ones are closed
                }
                // Many at once: each takes a connection of its own, and all are answered.
                try await withThrowingTaskGroup(of: Int.self) { group in
                    for _ in 0..<40 {
                        group.addTask {
                            try await http.send(
                                OutboundRequest(method: .GET, target: url(server.port!, "/document")), limit: 1024,
                                timeout: .seconds(5)
                            ).status
                        }
                    }
                    for try await status in group { #expect(status == 200) }
                }
            }
        }
    }

    @Test func targetsAreTakenApartOnce() throws {
        let target = try #require(OutboundTarget("http://[::1]:8080/a%20b/mcp?x=1&y=%2F"))
        #expect(target.scheme == "http" && target.host == "::1" && target.port == 8080)
        #expect(target.pathAndQuery == "/a%20b/mcp?x=1&y=%2F")
        #expect(target.authority == "[::1]:8080")
        let plain = try #require(OutboundTarget("HTTPS://Example.com"))
        #expect(plain.scheme == "https" && plain.port == 443 && plain.pathAndQuery == "/" && plain.authority == "Example.com")
        #expect(OutboundTarget("not a url") == nil)
        #expect(OutboundTarget("/relative/path") == nil)
    }

    @Test(arguments: Engine.allCases) func everyEndedRequestIsReleased(engine: Engine) async throws {
        try await makeServer(Written()).test(.live) { server in
            try await withComponent(engine) { http in
                let port = server.port!
                for _ in 0..<20 {
                    _ = try await http.send(OutboundRequest(method: .GET, target: url(port, "/document")), limit: 1024)
                }
                _ = try? await http.send(OutboundRequest(method: .GET, target: url(port, "/large")), limit: 100)
                _ = try? await http.send(
                    OutboundRequest(method: .GET, target: url(port, "/slow")), limit: 100, timeout: .milliseconds(50))
                let answer = try await http.exchange(
                    OutboundRequest(method: .GET, target: url(port, "/events")), limit: 1024
                ) { _ in true }
                if case .stream(_, let body) = answer {
                    for try await _ in body {}
                }
                let dropped = try await http.exchange(
                    OutboundRequest(method: .GET, target: url(port, "/flood")), limit: 1024
                ) { _ in true }
                if case .stream(_, let body) = dropped {
                    var iterator = body.makeAsyncIterator()
                    _ = try await iterator.next()
                }
                let deadline = ContinuousClock.now + .seconds(5)
                while http.liveAnswers.value > 0, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
                #expect(http.liveAnswers.value == 0)
            }
        }
    }
}
