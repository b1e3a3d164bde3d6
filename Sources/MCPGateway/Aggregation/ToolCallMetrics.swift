import MCPCore
import Metrics
import Synchronization

/// Every finished `tools/call` as swift-metrics: a counter by backend, tool and outcome, and a latency histogram.
/// The handles of each backend, tool and outcome are made once and kept.
enum ToolCallMetrics {
    private struct Key: Hashable {
        let backend: String
        let tool: String
        let outcome: String
    }

    private static let handles = Mutex<[Key: (Counter, Timer)]>([:])

    static func record(backend: String, tool: String, outcome: AuditEvent.Outcome, duration: Duration) {
        let key = Key(backend: backend, tool: tool, outcome: outcome.label)
        let (counter, timer) = handles.withLock { handles in
            if let known = handles[key] { return known }
            let dimensions = [("backend", backend), ("tool", tool), ("outcome", key.outcome)]
            let made = (
                Counter(label: "mcp_gateway_tool_calls_total", dimensions: dimensions),
                Timer(label: "mcp_gateway_tool_call_duration_seconds", dimensions: dimensions)
            )
            handles[key] = made
            return made
        }
        counter.increment()
        timer.recordNanoseconds(duration.nanoseconds)
    }
}
