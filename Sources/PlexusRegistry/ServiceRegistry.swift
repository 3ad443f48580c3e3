import CartService
import CatalogService
import GatewayService
import IdentityService
import MediaService
import NotificationService
import OrderService
import PaymentService
import PlexusKit
import PromotionService
import ReviewService
import ShopService

/// The one list of services. `plexus serve/work/migrate/up/seed/events/topology`, the gateway's
/// route table and the event topology all read it; a new service is one row here (and one row in
/// `Package.swift`'s table, which a test keeps in agreement).
public enum ServiceRegistry {
    /// Every service, in start order: publishers before their consumers where possible, the gateway last.
    public static let services: [any PlexusService.Type] = [
        IdentityService.self,
        ShopService.self,
        MediaService.self,
        CatalogService.self,
        PromotionService.self,
        CartService.self,
        PaymentService.self,
        OrderService.self,
        ReviewService.self,
        NotificationService.self,
        GatewayService.self,
    ]

    /// The system's shape, derived from the services' declarations.
    public static let topology = Topology(services)

    /// The services and the event topology as Markdown: what `plexus topology` prints and
    /// `docs/architecture.md` contains (a test keeps them equal).
    public static var topologyDocument: String {
        topology.serviceTable + "\n\n" + topology.eventTable + "\n\n" + topology.internalTable
    }

    /// The service called `name`.
    public static func service(named name: ServiceName) -> (any PlexusService.Type)? {
        services.first { $0.name == name }
    }
}
