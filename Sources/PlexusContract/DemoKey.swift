import Foundation

/// A typed slot of `DemoSeed` (PlexusKit), declared in the `<Name>API` module of the service that fills it.
public struct DemoKey<Value: Sendable>: Sendable {
    /// The slot's name.
    public let name: String

    /// Declares a slot.
    public init(_ name: String) { self.name = name }
}
