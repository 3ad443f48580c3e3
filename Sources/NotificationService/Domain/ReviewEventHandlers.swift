import Foundation
import PlexusKit
import ReviewAPI

/// Turns the review service's events into e-mails: the invitation after a delivery, a seller's
/// reply, and a review hidden by a moderator.
struct ReviewEventHandlers: Sendable {
    let mailer: CustomerMailer

    var subscriptions: [EventSubscription] {
        [
            .on(ReviewEvent.invited) { event, connection, logger in
                let invitation = event.data
                try await mailer.mail(.reviewInvitation, to: invitation.customerId, event: event.id, on: connection, logger: logger) { name in
                    ["name": name, "number": invitation.orderNumber,
                     "products": invitation.products.map { ["productName": $0.productName, "reviewUrl": $0.reviewUrl] }]
                }
            },
            .on(ReviewEvent.replied) { event, connection, logger in
                let notice = event.data
                try await mailer.mail(.reviewReply, to: notice.authorId, event: event.id, on: connection, logger: logger) { name in
                    ["name": name, "productName": notice.productName, "reply": notice.text, "reviewUrl": notice.reviewUrl]
                }
            },
            .on(ReviewEvent.hidden) { event, connection, logger in
                let notice = event.data
                try await mailer.mail(.reviewHidden, to: notice.authorId, event: event.id, on: connection, logger: logger) { name in
                    ["name": name, "productName": notice.productName, "reason": notice.text, "reviewUrl": notice.reviewUrl]
                }
            },
        ]
    }
}
