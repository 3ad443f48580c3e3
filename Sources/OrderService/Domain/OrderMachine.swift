import Foundation
import OrderAPI

/// The order state machine: a pure function from an order's state and an action to its next state,
/// or the reason the action is not allowed. Every route and consumer goes through it; the table
/// test walks every pair.
///
/// Order: `pending_payment → paid → shipped → delivered`; `pending_payment → cancelled`;
/// `paid → cancelled → refunded`. A fulfilment (one per shop): `pending → shipped → delivered`,
/// `pending → cancelled` with its order. The order is `shipped` once every fulfilment has shipped
/// and `delivered` once every one is delivered.
public enum OrderMachine {
    /// An order's state as far as transitions care.
    public struct State: Equatable, Sendable {
        public var status: OrderStatus
        public var fulfilments: [UUID: FulfilmentStatus]

        public init(status: OrderStatus, fulfilments: [UUID: FulfilmentStatus]) {
            self.status = status
            self.fulfilments = fulfilments
        }
    }

    /// What may happen to an order.
    public enum Action: Equatable, Sendable {
        /// Its payment was captured.
        case pay
        /// The customer or an admin cancels it.
        case cancel
        /// Its payment window ended unpaid.
        case expire
        /// A shop ships its part.
        case ship(shop: UUID)
        /// A shop's shipped part arrived.
        case deliver(shop: UUID)
        /// Everything captured for a cancelled order went back.
        case refundCompleted
    }

    /// Why an action is refused.
    public enum Refusal: Error, Equatable, Sendable {
        /// The order's (or the fulfilment's) status does not allow it (409).
        case illegal(from: OrderStatus, action: String)
        /// The order has no part of that shop (404).
        case noSuchFulfilment
    }

    /// The next state, or why not.
    public static func apply(_ action: Action, to state: State) -> Result<State, Refusal> {
        var next = state
        func illegal(_ name: String) -> Result<State, Refusal> { .failure(.illegal(from: state.status, action: name)) }
        switch action {
        case .pay:
            guard state.status == .pendingPayment else { return illegal("pay") }
            next.status = .paid
        case .expire:
            guard state.status == .pendingPayment else { return illegal("expire") }
            next.status = .cancelled
            next.fulfilments = state.fulfilments.mapValues { _ in .cancelled }
        case .cancel:
            switch state.status {
            case .pendingPayment: break
            case .paid where state.fulfilments.values.allSatisfy({ $0 == .pending }): break
            default: return illegal("cancel")
            }
            next.status = .cancelled
            next.fulfilments = state.fulfilments.mapValues { _ in .cancelled }
        case .ship(let shop):
            guard let part = state.fulfilments[shop] else { return .failure(.noSuchFulfilment) }
            guard state.status == .paid, part == .pending else { return illegal("ship") }
            next.fulfilments[shop] = .shipped
            next.status = derived(next.fulfilments)
        case .deliver(let shop):
            guard let part = state.fulfilments[shop] else { return .failure(.noSuchFulfilment) }
            guard [.paid, .shipped].contains(state.status), part == .shipped else { return illegal("deliver") }
            next.fulfilments[shop] = .delivered
            next.status = derived(next.fulfilments)
        case .refundCompleted:
            guard state.status == .cancelled else { return illegal("refund") }
            next.status = .refunded
        }
        return .success(next)
    }

    /// A paid order's status from its fulfilments.
    static func derived(_ fulfilments: [UUID: FulfilmentStatus]) -> OrderStatus {
        if fulfilments.values.allSatisfy({ $0 == .delivered }) { return .delivered }
        if fulfilments.values.allSatisfy({ $0 == .shipped || $0 == .delivered }) { return .shipped }
        return .paid
    }
}
