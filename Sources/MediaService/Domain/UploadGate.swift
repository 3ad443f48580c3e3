import NIOConcurrencyHelpers

/// How many uploads this process reads at once. Each holds its file in memory several times over
/// (the body, the stripped copy, the buffer sent to the store), so without a bound a crowd of
/// slow 10 MB uploads could exhaust the memory every other request needs.
final class UploadGate: Sendable {
    let limit: Int
    private let inFlight = NIOLockedValueBox(0)

    init(limit: Int) {
        self.limit = limit
    }

    /// Takes a place; false when every place is taken.
    func enter() -> Bool {
        inFlight.withLockedValue { count in
            guard count < limit else { return false }
            count += 1
            return true
        }
    }

    func leave() {
        inFlight.withLockedValue { $0 -= 1 }
    }
}
