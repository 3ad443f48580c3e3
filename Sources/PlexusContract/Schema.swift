import Foundation

/// A JSON Schema (the subset OpenAPI 3.1 documents use here), derived from the Swift types the
/// handlers decode and encode (``Schema/of(_:)``), never written by hand beside them.
public indirect enum Schema: Sendable, Equatable {
    /// A string, with an optional `format` (`uuid`, `date-time`, `email`, `uri`) and allowed values.
    case string(format: String? = nil, values: [String]? = nil)
    /// A whole number.
    case integer
    /// Any number.
    case number
    /// `true` or `false`.
    case boolean
    /// A list.
    case array(Schema)
    /// An object with known properties (in declaration order), the required ones, and the schema of
    /// any further keys (a `[String: String]` map has no properties and string values).
    case object(properties: [Property], required: [String], additional: Schema?)
    /// A value or `null`.
    case nullable(Schema)
    /// A named schema in the document's components.
    case reference(String)
    /// Any JSON value.
    case any

    /// One property of an object.
    public struct Property: Sendable, Equatable {
        /// The JSON key.
        public var name: String
        /// Its schema.
        public var schema: Schema

        /// Creates a property.
        public init(_ name: String, _ schema: Schema) {
            self.name = name
            self.schema = schema
        }
    }

    /// An object schema from `(name, schema, required)` triples.
    public static func object(_ properties: [(String, Schema, Bool)], additional: Schema? = nil) -> Schema {
        .object(properties: properties.map { Property($0.0, $0.1) }, required: properties.filter(\.2).map(\.0), additional: additional)
    }
}

/// A type that states its own schema instead of having it read from its `Decodable` conformance
/// (types whose encoding differs from their decoding, or marker types).
public protocol SchemaDescribing {
    /// The type's schema; nested types may appear as ``Schema/reference(_:)`` after ``SchemaCollector/schema(for:)``.
    static func describeSchema(in collector: SchemaCollector) -> Schema
}

/// An enumeration whose JSON form is one of its raw string values.
public protocol SchemaEnumeration: CaseIterable, RawRepresentable where RawValue == String {}

/// Collects the named schemas (`components.schemas`) of a document while deriving them from types.
public final class SchemaCollector {
    /// Named schemas by component name.
    public private(set) var components: [String: Schema] = [:]
    var inProgress: Set<String> = []

    /// Creates an empty collector.
    public init() {}

    /// The schema of `type`: a reference to a named component for structs and classes, inline for
    /// primitives, collections, optionals and string enumerations.
    public func schema(for type: Any.Type) -> Schema {
        if let inline = Self.inline(type, collector: self) { return inline }
        let name = Self.componentName(type)
        if components[name] != nil || inProgress.contains(name) { return .reference(name) }
        inProgress.insert(name)
        let schema: Schema
        if let described = type as? any SchemaDescribing.Type {
            schema = described.describeSchema(in: self)
        } else if let decodable = type as? any Decodable.Type {
            schema = SchemaReader.read(decodable, collector: self)
        } else {
            schema = .any
        }
        inProgress.remove(name)
        components[name] = schema
        return .reference(name)
    }

    /// `ProductDTO`, `Page_ProductSummaryDTO`: the Swift name, made a valid component key.
    public static func componentName(_ type: Any.Type) -> String {
        // `CatalogAPI.ProductSummaryDTO.Image` → `ProductSummaryDTO_Image`, `PlexusContract.Page<IdentityAPI.UserDTO>`
        // → `Page_UserDTO`: module names dropped, nesting kept (two nested `Image` types must not collide).
        var tokens: [String] = []
        var current = ""
        for character in String(reflecting: type) + " " {
            if character.isLetter || character.isNumber || character == "_" {
                current.append(character)
                continue
            }
            let isModule = character == "." && (current.hasSuffix("API") || current.hasPrefix("Plexus") || current == "Swift" || current == "Foundation")
            if !current.isEmpty, !isModule { tokens.append(current) }
            current = ""
        }
        return tokens.joined(separator: "_")
    }

    /// Schemas written inline rather than as components.
    static func inline(_ type: Any.Type, collector: SchemaCollector) -> Schema? {
        switch type {
        case is String.Type, is Substring.Type: return .string()
        case is UUID.Type: return .string(format: "uuid")
        case is Date.Type: return .string(format: "date-time")
        case is URL.Type: return .string(format: "uri")
        case is Bool.Type: return .boolean
        case is Int.Type, is Int64.Type, is Int32.Type, is UInt.Type, is UInt64.Type, is UInt32.Type: return .integer
        case is Double.Type, is Float.Type, is Decimal.Type: return .number
        default: break
        }
        if let enumeration = type as? any SchemaEnumeration.Type { return .string(values: enumeration.caseNames) }
        if let wrapper = type as? any SchemaWrapping.Type { return wrapper.wrappedSchema(collector) }
        return nil
    }
}

extension SchemaEnumeration {
    static var caseNames: [String] { allCases.map(\.rawValue) }
}

/// Optionals, arrays and string-keyed dictionaries describe themselves through their elements.
protocol SchemaWrapping {
    static func wrappedSchema(_ collector: SchemaCollector) -> Schema
}

extension Optional: SchemaWrapping {
    static func wrappedSchema(_ collector: SchemaCollector) -> Schema { .nullable(collector.schema(for: Wrapped.self)) }
}

extension Array: SchemaWrapping {
    static func wrappedSchema(_ collector: SchemaCollector) -> Schema { .array(collector.schema(for: Element.self)) }
}

extension Set: SchemaWrapping {
    static func wrappedSchema(_ collector: SchemaCollector) -> Schema { .array(collector.schema(for: Element.self)) }
}

extension Dictionary: SchemaWrapping {
    static func wrappedSchema(_ collector: SchemaCollector) -> Schema {
        .object(properties: [], required: [], additional: collector.schema(for: Value.self))
    }
}
