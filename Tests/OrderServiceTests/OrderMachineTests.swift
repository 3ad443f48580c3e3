import Foundation
import OrderAPI
@testable import OrderService
import Testing

/// The order state machine, every status against every action.
@Suite("Order state machine") struct OrderMachineTests {
    static let shopA = UUID()
    static let shopB = UUID()

    static func state(_ status: OrderStatus, _ a: FulfilmentStatus = .pending, _ b: FulfilmentStatus = .pending) -> OrderMachine.State {
        OrderMachine.State(status: status, fulfilments: [shopA: a, shopB: b])
    }

    @Test("the graph of the contract, and nothing else", arguments: [
        // (from, action, expected status or nil for 409)
        (state(.pendingPayment), OrderMachine.Action.pay, OrderStatus?.some(.paid)),
        (state(.paid), .pay, nil),
        (state(.cancelled, .cancelled, .cancelled), .pay, nil),
        (state(.pendingPayment), .cancel, .cancelled),
        (state(.pendingPayment), .expire, .cancelled),
        (state(.paid), .cancel, .cancelled),
        (state(.paid), .expire, nil),
        (state(.paid, .shipped), .cancel, nil),
        (state(.shipped, .shipped, .shipped), .cancel, nil),
        (state(.delivered, .delivered, .delivered), .cancel, nil),
        (state(.cancelled, .cancelled, .cancelled), .cancel, nil),
        (state(.refunded, .cancelled, .cancelled), .cancel, nil),
        (state(.pendingPayment), .ship(shop: shopA), nil),
        (state(.paid), .ship(shop: shopA), .paid),
        (state(.paid, .shipped), .ship(shop: shopB), .shipped),
        (state(.paid, .shipped), .ship(shop: shopA), nil),
        (state(.paid, .delivered), .ship(shop: shopB), .shipped),
        (state(.cancelled, .cancelled, .cancelled), .ship(shop: shopA), nil),
        (state(.paid), .deliver(shop: shopA), nil),
        (state(.paid, .shipped), .deliver(shop: shopA), .paid),
        (state(.shipped, .shipped, .shipped), .deliver(shop: shopA), .shipped),
        (state(.shipped, .delivered, .shipped), .deliver(shop: shopB), .delivered),
        (state(.delivered, .delivered, .delivered), .deliver(shop: shopB), nil),
        (state(.cancelled, .cancelled, .cancelled), .refundCompleted, .refunded),
        (state(.paid), .refundCompleted, nil),
        (state(.refunded, .cancelled, .cancelled), .refundCompleted, nil),
    ])
    func transitions(from: OrderMachine.State, action: OrderMachine.Action, expected: OrderStatus?) {
        switch OrderMachine.apply(action, to: from) {
        case .success(let next):
            #expect(next.status == expected, "\(from.status) + \(action)")
        case .failure(let refusal):
            #expect(expected == nil, "\(from.status) + \(action) was refused: \(refusal)")
            #expect(refusal == .illegal(from: from.status, action: "\(action)".components(separatedBy: "(").first!.replacingOccurrences(of: "refundCompleted", with: "refund")))
        }
    }

    @Test func cancellingCancelsEveryFulfilmentAndShippingTouchesOnlyItsShop() throws {
        let cancelled = try OrderMachine.apply(.cancel, to: Self.state(.paid)).get()
        #expect(cancelled.fulfilments.values.allSatisfy { $0 == .cancelled })
        let shipped = try OrderMachine.apply(.ship(shop: Self.shopA), to: Self.state(.paid)).get()
        #expect(shipped.fulfilments == [Self.shopA: .shipped, Self.shopB: .pending])
    }

    @Test func anotherShopsPartIsNotFound() {
        #expect(throws: OrderMachine.Refusal.noSuchFulfilment) { try OrderMachine.apply(.ship(shop: UUID()), to: Self.state(.paid)).get() }
        #expect(throws: OrderMachine.Refusal.noSuchFulfilment) { try OrderMachine.apply(.deliver(shop: UUID()), to: Self.state(.paid)).get() }
    }

    @Test func repeatedVariantsMergeIntoOneLine() {
        let a = UUID(), b = UUID()
        let merged = CheckoutSaga.merged([CheckoutItem(variantId: a, quantity: 2), CheckoutItem(variantId: b, quantity: 1), CheckoutItem(variantId: a, quantity: 3)])
        #expect(merged == [CheckoutItem(variantId: a, quantity: 5), CheckoutItem(variantId: b, quantity: 1)])
    }
}
