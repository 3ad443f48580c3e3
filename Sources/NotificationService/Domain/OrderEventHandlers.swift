import Foundation
import IdentityAPI
import Logging
import OrderAPI
import PaymentAPI
import PlexusKit
import PostgresNIO

/// Turns order and payment events into e-mails to the customer: the confirmation (once, when the
/// order is paid), each shop's shipment with its tracking link, a cancellation (with the refund),
/// and a declined payment. The address comes from identity at the time of writing.
struct OrderEventHandlers: Sendable {
    let mailer: CustomerMailer

    var subscriptions: [EventSubscription] {
        [
            .on(OrderEvent.paid) { event, connection, logger in
                let order = event.data
                try await mailer.mail(.orderConfirmation, to: order.customerId, event: event.id, on: connection, logger: logger) { name in
                    var values: [String: Any] = ["name": name, "number": order.number, "subtotal": Self.format(order.subtotal),
                                                 "shipping": Self.format(order.shipping), "total": Self.format(order.total),
                                                 "lines": order.lines.map { ["quantity": String($0.quantity), "productName": $0.productName,
                                                                             "amount": Self.format($0.netTotal)] }]
                    if order.discount.amount > 0 { values["discount"] = Self.format(order.discount) }
                    if let code = order.promotionCode { values["code"] = code }
                    return values
                }
            },
            .on(OrderEvent.fulfilmentShipped) { event, connection, logger in
                let shipment = event.data
                try await mailer.mail(.orderShipped, to: shipment.customerId, event: event.id, on: connection, logger: logger) { name in
                    var values: [String: Any] = ["name": name, "number": shipment.number, "carrier": shipment.carrier,
                                                 "trackingNumber": shipment.trackingNumber,
                                                 "items": shipment.lines.map { ["quantity": String($0.quantity), "productName": $0.productName] }]
                    if let url = Self.trackingURL(carrier: shipment.carrier, number: shipment.trackingNumber) { values["trackingURL"] = url }
                    return values
                }
            },
            .on(OrderEvent.cancelled) { event, connection, logger in
                let order = event.data
                try await mailer.mail(.orderCancelled, to: order.customerId, event: event.id, on: connection, logger: logger) { name in
                    var values: [String: Any] = ["name": name, "number": order.number]
                    if order.reason == "payment_window_expired" { values["expired"] = true }
                    if order.wasPaid { values["refund"] = Self.format(order.total) } // a paid order is refunded in full
                    return values
                }
            },
            .on(PaymentEvent.failed) { event, connection, logger in
                let payment = event.data
                try await mailer.mail(.paymentFailed, to: payment.customerId, event: event.id, on: connection, logger: logger) { name in
                    ["name": name, "amount": Self.format(payment.amount), "reason": payment.failure?.message ?? "the card was declined."]
                }
            },
            .on(PaymentEvent.membershipActivated) { event, connection, logger in
                try await mailer.mail(.membershipReceipt, to: event.data.userId, event: event.id, on: connection, logger: logger) { Self.membership(event.data, $0) }
            },
            .on(PaymentEvent.membershipRenewed) { event, connection, logger in
                try await mailer.mail(.membershipReceipt, to: event.data.userId, event: event.id, on: connection, logger: logger) { name in
                    Self.membership(event.data, name).merging(["renewed": true]) { $1 }
                }
            },
            .on(PaymentEvent.membershipPastDue) { event, connection, logger in
                try await mailer.mail(.membershipPastDue, to: event.data.userId, event: event.id, on: connection, logger: logger) { Self.membership(event.data, $0) }
            },
            .on(PaymentEvent.membershipExpired) { event, connection, logger in
                try await mailer.mail(.membershipEnded, to: event.data.userId, event: event.id, on: connection, logger: logger) { name in
                    var values = Self.membership(event.data, name)
                    values[event.data.reason == "cancelled" ? "cancelled" : "renewalFailed"] = true
                    return values
                }
            },
        ]
    }

    /// A membership event's values for its e-mails.
    static func membership(_ data: MembershipEventData, _ name: String) -> [String: Any] {
        var values: [String: Any] = ["name": name, "plan": data.plan.rawValue.capitalized, "periodEnd": day(data.currentPeriodEnd),
                                     "endedAt": day(data.currentPeriodEnd), "reason": data.failure?.message ?? "the card was declined."]
        if let amount = data.amount { values["amount"] = format(amount) }
        if let card = data.card { values["card"] = "\(card.brand.capitalized) ending \(card.last4)" }
        if let grace = data.graceEndsAt { values["graceEnds"] = day(grace) }
        return values
    }

    /// A date as the e-mails write it (`27 November 2026`, UTC).
    static func day(_ date: Date) -> String {
        date.formatted(Date.FormatStyle(date: .long, time: .omitted, locale: Locale(identifier: "en_GB"), timeZone: TimeZone(identifier: "UTC")!))
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
