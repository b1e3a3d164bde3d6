import Metrics

/// Every finished `tools/call` as swift-metrics: a counter by backend, tool and outcome, and a latency histogram.
enum ToolCallMetrics {
    static func record(backend: String, tool: String, outcome: AuditEvent.Outcome, duration: Duration) {
        let dimensions = [("backend", backend), ("tool", tool), ("outcome", outcome.label)]
        Counter(label: "mcp_gateway_tool_calls_total", dimensions: dimensions).increment()
        Timer(label: "mcp_gateway_tool_call_duration_seconds", dimensions: dimensions).recordNanoseconds(
            duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000)
    }
}
