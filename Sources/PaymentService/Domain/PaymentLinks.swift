import Crypto
import Foundation
import PlexusKit

/// Signed links to the hosted payment page: `…/pay/<id>?expires=<unix>&sig=<hex>`, where the
/// signature is an HMAC of the payment and expiry under a key derived from the webhook secret. The
/// link is the owner's credential for that one payment until it expires (a checkout's payment
/// window and a margin).
struct PaymentLinks: Sendable {
    let key: SymmetricKey
    let publicURL: String
    var lifetime: TimeInterval = 2 * 3600

    init(secret: String, publicURL: String) {
        key = SymmetricKey(data: HMAC<SHA256>.authenticationCode(for: Data("plexus hosted payment page".utf8), using: SymmetricKey(data: Data(secret.utf8))))
        self.publicURL = publicURL.hasSuffix("/") ? String(publicURL.dropLast()) : publicURL
    }

    /// The page's URL for `paymentID`.
    func url(for paymentID: UUID, now: Date = Date()) -> String {
        let expires = Int(now.timeIntervalSince1970 + lifetime)
        return "\(publicURL)/pay/\(paymentID.uuidString.lowercased())?expires=\(expires)&sig=\(signature(paymentID, expires))"
    }

    /// Whether `expires` and `sig` were issued for `paymentID` and still hold.
    func verify(_ paymentID: UUID, expires: String?, sig: String?, now: Date = Date()) -> Bool {
        guard let expires, let seconds = Int(expires), let sig, TimeInterval(seconds) > now.timeIntervalSince1970 else { return false }
        return WebhookSignature.constantTimeEqual(Array(signature(paymentID, seconds).utf8), Array(sig.lowercased().utf8))
    }

    func signature(_ paymentID: UUID, _ expires: Int) -> String {
        RandomToken.hex(HMAC<SHA256>.authenticationCode(for: Data("\(paymentID.uuidString.lowercased()):\(expires)".utf8), using: key))
    }
}
