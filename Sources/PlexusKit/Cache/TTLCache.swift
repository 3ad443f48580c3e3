import Foundation
import NIOConcurrencyHelpers

/// An in-process cache with a time to live and a size bound (least recently used entries go first).
///
/// Thread-safe; a lookup is a lock, a hash probe and a clock read. A size of zero disables caching
/// (every lookup misses), which is how a service runs uncached for comparison.
public final class TTLCache<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private struct Entry {
        var value: Value
        var expires: UInt64
        var lastUse: UInt64
    }

    private struct State {
        var entries: [Key: Entry] = [:]
        var tick: UInt64 = 0
    }

    private let state = NIOLockedValueBox(State())
    /// Most entries kept.
    public let capacity: Int
    /// How long an entry lives.
    public let ttl: Duration

    /// Creates a cache of at most `capacity` entries living `ttl` each.
    public init(capacity: Int, ttl: Duration) {
        self.capacity = max(0, capacity)
        self.ttl = ttl
    }

    private static func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

    /// The live value for `key`, if any.
    public func get(_ key: Key) -> Value? {
        guard capacity > 0 else { return nil }
        let now = Self.now()
        return state.withLockedValue { state in
            guard var entry = state.entries[key] else { return nil }
            guard entry.expires > now else {
                state.entries[key] = nil
                return nil
            }
            state.tick &+= 1
            entry.lastUse = state.tick
            state.entries[key] = entry
            return entry.value
        }
    }

    /// Stores `value` for `key`, evicting the least recently used eighth when full.
    public func set(_ key: Key, _ value: Value) {
        guard capacity > 0 else { return }
        let expires = Self.now() + UInt64(ttl.components.seconds) * 1_000_000_000 + UInt64(ttl.components.attoseconds / 1_000_000_000)
        state.withLockedValue { state in
            if state.entries.count >= capacity, state.entries[key] == nil {
                // Evicting a batch keeps the amortised cost of a full cache low.
                let victims = state.entries.sorted { $0.value.lastUse < $1.value.lastUse }.prefix(max(1, capacity / 8))
                for (victim, _) in victims { state.entries[victim] = nil }
            }
            state.tick &+= 1
            state.entries[key] = Entry(value: value, expires: expires, lastUse: state.tick)
        }
    }

    /// Drops `key`.
    public func remove(_ key: Key) {
        _ = state.withLockedValue { $0.entries.removeValue(forKey: key) }
    }

    /// Drops every entry for which `predicate(key, value)` holds.
    public func removeAll(where predicate: (Key, Value) -> Bool) {
        state.withLockedValue { state in
            for (key, entry) in state.entries where predicate(key, entry.value) { state.entries[key] = nil }
        }
    }

    /// Drops everything.
    public func removeAll() {
        state.withLockedValue { $0.entries.removeAll(keepingCapacity: true) }
    }

    /// The number of entries (expired ones included until touched).
    public var count: Int { state.withLockedValue { $0.entries.count } }
}
