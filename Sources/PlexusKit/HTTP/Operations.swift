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

/// The operational endpoints every service serves: `/health/live`, `/health/ready`, `/metrics`
/// (`/openapi.json` is added by the host once every endpoint is registered).
public enum OperationsRoutes {
    /// Adds the routes to `router`. `ready` returns component name → `"ok"` or a failure reason.
    public static func add(to router: EndpointRouter, ready: @escaping ReadinessCheck) {
        let registry = Observability.registry
        // Liveness is asked often and never changes: its body is encoded once.
        let alive = (try? Response.json(StatusMessage(status: "ok"))) ?? Response(status: .ok)
        router.on(KitEndpoints.live) { _, _ in alive }
        router.on(KitEndpoints.ready) { _, _ in
            let checks = await ready()
            let ok = checks.values.allSatisfy { $0 == "ok" }
            return try Response.json(HealthReport(status: ok ? "ok" : "unavailable", checks: checks),
                                     status: ok ? .ok : .serviceUnavailable)
        }
        router.on(KitEndpoints.metrics) { _, _ in
            var buffer: [UInt8] = []
            buffer.reserveCapacity(8 * 1024)
            registry.emit(into: &buffer)
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: buffer)))
        }
    }

    /// Adds `GET /openapi.json` serving `document` (built once, sent with an `ETag`).
    public static func addDocument(to router: EndpointRouter, _ document: JSONValue) throws {
        let body = CachedBody(bytes: ByteBuffer(bytes: try document.data()))
        router.on(KitEndpoints.openAPI) { request, _ in body.response(for: request, cacheControl: "public, max-age=300") }
    }
}
