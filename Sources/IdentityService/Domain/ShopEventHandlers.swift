import Foundation
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
