/// Growing delays after failed logins: free attempts first, then a block that doubles with every
/// further failure, capped. Pure, so the schedule is tested as a table.
struct ThrottlePolicy: Sendable {
    /// Failures allowed before any delay.
    var freeAttempts: Int
    /// The first block, in seconds.
    var baseDelay: Int
    /// The longest block, in seconds.
    var maximumDelay: Int

    /// Per account: five tries, then 2 s, 4 s, 8 s … up to 15 minutes.
    static let account = ThrottlePolicy(freeAttempts: 5, baseDelay: 2, maximumDelay: 900)
    /// Per IP address: more tries (shared networks), the same growth.
    static let address = ThrottlePolicy(freeAttempts: 20, baseDelay: 2, maximumDelay: 900)
    /// Mail sends (verification, reset): one a minute per address.
    static let mail = ThrottlePolicy(freeAttempts: 0, baseDelay: 60, maximumDelay: 60)

    /// Seconds to block after the `failures`-th failure (0 = no block).
    func blockSeconds(afterFailures failures: Int) -> Int {
        guard failures > freeAttempts else { return 0 }
        let exponent = min(failures - freeAttempts - 1, 20)
        return min(maximumDelay, baseDelay << exponent)
    }
}
