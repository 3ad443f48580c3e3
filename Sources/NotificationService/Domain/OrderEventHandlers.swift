import Foundation
import IdentityAPI
import OrderAPI
import PaymentAPI
import PlexusKit

/// Turns order and payment events into e-mails to the customer: the confirmation (once, when the
/// order is paid), each shop's shipment with its tracking link, a cancellation (with the refund),
/// and a declined payment. The address comes from identity at the time of writing.
struct OrderEventHandlers: Sendable {
    let templates: EmailTemplates
    let emails: EmailRepository
    let contacts: any ContactLookup
    let transport: String

    var subscriptions: [EventSubscription] {
        [
            .on(OrderEvent.paid) { event, connection, logger in
                let order = event.data
                guard let contact = try await contacts.contact(userID: order.customerId, logger: logger) else { return }
                let lines: [[String: String]] = order.lines.map {
                    ["quantity": String($0.quantity), "productName": $0.productName, "amount": Self.format($0.netTotal)]
                }
                var values: [String: Any] = ["name": contact.name, "number": order.number, "lines": lines, "subtotal": Self.format(order.subtotal),
                                             "shipping": Self.format(order.shipping), "total": Self.format(order.total)]
                if order.discount.amount > 0 { values["discount"] = Self.format(order.discount) }
                if let code = order.promotionCode { values["code"] = code }
                let rendered = try templates.render(.orderConfirmation, values)
                _ = try await emails.queue(rendered, template: EmailTemplates.Kind.orderConfirmation.rawValue, to: contact.email, userID: contact.userId,
                                           eventID: event.id, transport: transport, on: connection, logger: logger)
            },
            .on(OrderEvent.fulfilmentShipped) { event, connection, logger in
                let shipment = event.data
                guard let contact = try await contacts.contact(userID: shipment.customerId, logger: logger) else { return }
                var values: [String: Any] = ["name": contact.name, "number": shipment.number, "carrier": shipment.carrier,
                                             "trackingNumber": shipment.trackingNumber,
                                             "items": shipment.lines.map { ["quantity": String($0.quantity), "productName": $0.productName] }]
                if let url = Self.trackingURL(carrier: shipment.carrier, number: shipment.trackingNumber) { values["trackingURL"] = url }
                let rendered = try templates.render(.orderShipped, values)
                _ = try await emails.queue(rendered, template: EmailTemplates.Kind.orderShipped.rawValue, to: contact.email, userID: contact.userId,
                                           eventID: event.id, transport: transport, on: connection, logger: logger)
            },
            .on(OrderEvent.cancelled) { event, connection, logger in
                let order = event.data
                guard let contact = try await contacts.contact(userID: order.customerId, logger: logger) else { return }
                var values: [String: Any] = ["name": contact.name, "number": order.number]
                if order.reason == "payment_window_expired" { values["expired"] = true }
                // A paid order (it has a `paid` entry before the cancellation) is refunded in full.
                if order.wasPaid { values["refund"] = Self.format(order.total) }
                let rendered = try templates.render(.orderCancelled, values)
                _ = try await emails.queue(rendered, template: EmailTemplates.Kind.orderCancelled.rawValue, to: contact.email, userID: contact.userId,
                                           eventID: event.id, transport: transport, on: connection, logger: logger)
            },
            .on(PaymentEvent.failed) { event, connection, logger in
                let payment = event.data
                guard let contact = try await contacts.contact(userID: payment.customerId, logger: logger) else { return }
                let rendered = try templates.render(.paymentFailed, ["name": contact.name, "amount": Self.format(payment.amount),
                                                                     "reason": payment.failure?.message ?? "the card was declined."])
                _ = try await emails.queue(rendered, template: EmailTemplates.Kind.paymentFailed.rawValue, to: contact.email, userID: contact.userId,
                                           eventID: event.id, transport: transport, on: connection, logger: logger)
            },
        ]
    }

    static func format(_ money: Money) -> String { money.displayString }

    /// A public tracking page for the big carriers.
    static func trackingURL(carrier: String, number: String) -> String? {
        guard let encoded = number.addingPercentEncoding(withAllowedCharacters: .alphanumerics) else { return nil }
        switch carrier.lowercased().filter({ $0.isLetter }) {
        case "ups": return "https://www.ups.com/track?tracknum=\(encoded)"
        case "dhl": return "https://www.dhl.com/en/express/tracking.html?AWB=\(encoded)"
        case "fedex": return "https://www.fedex.com/fedextrack/?trknbr=\(encoded)"
        case "usps": return "https://tools.usps.com/go/TrackConfirmAction?tLabels=\(encoded)"
        default: return nil
        }
    }
}
