import Metrics
import Prometheus

/// The process's metrics backend: swift-metrics recorded anywhere in the gateway end up in one Prometheus registry,
/// which `/metrics` renders. Bootstrapping is once per process, so `serve` does it and hands the registry over.
public enum GatewayMetrics {
    /// From well under a millisecond (a relay's own cost) to a minute (a slow tool).
    static let latencyBuckets: [Duration] = [
        .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
        .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1),
        .milliseconds(2500), .seconds(5), .seconds(10), .seconds(30), .seconds(60),
    ]

    public static func makeFactory(registry: PrometheusCollectorRegistry) -> PrometheusMetricsFactory {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = latencyBuckets
        return factory
    }

    /// Makes Prometheus the process's metrics backend; returns the registry to give to `buildApplication`.
    public static func bootstrap() -> PrometheusCollectorRegistry {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(makeFactory(registry: registry))
        return registry
    }
}
