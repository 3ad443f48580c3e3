import Foundation
import Hummingbird
import Metrics
import NIOConcurrencyHelpers
import NIOCore
import Prometheus

/// Process-wide metrics wiring. `MetricsSystem` can be bootstrapped once per process, so the kit owns
/// one Prometheus registry and bootstraps it on first use.
public enum Observability {
    private static let state = NIOLockedValueBox<PrometheusCollectorRegistry?>(nil)

    /// The process's Prometheus registry, bootstrapping `swift-metrics` with it on first call.
    public static var registry: PrometheusCollectorRegistry {
        state.withLockedValue { current in
            if let current { return current }
            let registry = PrometheusCollectorRegistry()
            MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
            current = registry
            return registry
        }
    }
}

/// A readiness probe: `nil` when ready, otherwise a short reason.
public typealias ReadinessCheck = @Sendable () async -> [String: String]

/// The operational routes every service serves: `/health/live`, `/health/ready`, `/metrics`.
public enum OperationsRoutes {
    /// Adds the routes to `router`. `ready` returns component name → `"ok"` or a failure reason.
    public static func add(to router: Router<PlexusContext>, ready: @escaping ReadinessCheck) {
        let registry = Observability.registry
        router.get("/health/live") { _, _ in
            try Response.json(["status": "ok"])
        }
        router.get("/health/ready") { _, _ in
            let checks = await ready()
            let ok = checks.values.allSatisfy { $0 == "ok" }
            return try Response.json(HealthReport(status: ok ? "ok" : "unavailable", checks: checks),
                                     status: ok ? .ok : .serviceUnavailable)
        }
        router.get("/metrics") { _, _ in
            var buffer: [UInt8] = []
            buffer.reserveCapacity(8 * 1024)
            registry.emit(into: &buffer)
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: buffer)))
        }
    }
}

/// The body of `/health/ready`.
public struct HealthReport: Codable, Sendable {
    /// `ok` or `unavailable`.
    public var status: String
    /// Each component's state.
    public var checks: [String: String]

    /// Creates a report.
    public init(status: String, checks: [String: String]) {
        self.status = status
        self.checks = checks
    }
}
