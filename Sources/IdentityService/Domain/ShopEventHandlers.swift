import Foundation
import Logging
import PaymentAPI
import PostgresNIO
import PlexusKit
import ShopAPI

/// Identity's reactions to shop events: opening a shop makes its owner a seller. Their next
/// access token (after a refresh or sign-in) carries the role.
enum ShopEventHandlers {
    static var subscriptions: [EventSubscription] {
        [
            .on(ShopEvent.created) { event, connection, logger in
                try await connection.query("""
                    UPDATE users SET roles = array_append(roles, 'seller'), updated_at = now()
                    WHERE id = \(event.data.ownerId) AND NOT ('seller' = ANY(roles))
                    """, logger: logger)
            },
        ]
    }
}

/// Identity's reactions to memberships: a paid VIP membership grants the `vip` role (the next access
/// token carries it); one that ends takes it away and, like any role removal, ends the member's
/// older tokens at once through the revocation feed.
enum MembershipEventHandlers {
    static var subscriptions: [EventSubscription] {
        [
            .on(PaymentEvent.membershipActivated) { event, connection, logger in try await grant(event.data.userId, on: connection, logger: logger) },
            .on(PaymentEvent.membershipRenewed) { event, connection, logger in try await grant(event.data.userId, on: connection, logger: logger) },
            .on(PaymentEvent.membershipExpired) { event, connection, logger in
                try await connection.query("""
                    UPDATE users SET roles = array_remove(roles, 'vip'), token_version = token_version + 1, updated_at = now()
                    WHERE id = \(event.data.userId) AND 'vip' = ANY(roles)
                    """, logger: logger)
            },
        ]
    }

    static func grant(_ userID: UUID, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query("""
            UPDATE users SET roles = array_append(roles, 'vip'), updated_at = now() WHERE id = \(userID) AND NOT ('vip' = ANY(roles))
            """, logger: logger)
    }
}
