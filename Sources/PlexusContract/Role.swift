import Foundation

/// A role a user may hold.
public enum Role: String, Codable, Sendable, CaseIterable, Comparable {
    /// Every verified user.
    case customer
    /// Owns a shop.
    case seller
    /// Administers the platform.
    case admin
    /// A paying member: VIP-only promotions apply. Granted and removed by identity (an admin's
    /// role change; later the payment service's membership events).
    case vip

    /// Orders roles for stable output.
    public static func < (lhs: Role, rhs: Role) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

extension Role: SchemaEnumeration {}
