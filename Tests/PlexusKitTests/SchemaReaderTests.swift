import Foundation
@testable import PlexusContract
import Testing

@Suite struct SchemaReaderTests {
    enum Colour: String, Codable, Sendable, CaseIterable, SchemaEnumeration { case red, blue }

    struct Inner: Codable, Sendable { var amount: Int }

    struct Body: Codable, Sendable {
        var id: UUID
        var name: String
        var note: String?
        var tags: [String]
        var colour: Colour
        var inner: Inner
        var at: Date
        var attributes: [String: String]
        /// Explicit `null` (clear) told apart from absence (keep), as the catalogue's updates do.
        var parent: UUID??

        enum CodingKeys: String, CodingKey { case id, name, note, tags, colour, inner, at, attributes, parent }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            id = try container.decode(UUID.self, forKey: .id)
            name = try container.decode(String.self, forKey: .name)
            note = try container.decodeIfPresent(String.self, forKey: .note)
            tags = try container.decode([String].self, forKey: .tags)
            colour = try container.decode(Colour.self, forKey: .colour)
            inner = try container.decode(Inner.self, forKey: .inner)
            at = try container.decode(Date.self, forKey: .at)
            attributes = try container.decode([String: String].self, forKey: .attributes)
            parent = container.contains(.parent) ? .some(try container.decodeNil(forKey: .parent) ? nil : try container.decode(UUID.self, forKey: .parent)) : nil
        }
    }

    @Test func aTypeDescribesWhatItDecodes() throws {
        // setup
        let collector = SchemaCollector()
        // act
        let reference = collector.schema(for: Body.self)
        // expect
        #expect(reference == .reference("SchemaReaderTests_Body"))
        let body = try #require(collector.components["SchemaReaderTests_Body"])
        guard case .object(let properties, let required, _) = body else { Issue.record("not an object: \(body)"); return }
        let types = Dictionary(uniqueKeysWithValues: properties.map { ($0.name, $0.schema) })
        #expect(Set(required) == ["id", "name", "tags", "colour", "inner", "at", "attributes"])
        #expect(types["id"] == .string(format: "uuid"))
        #expect(types["note"] == .nullable(.string()))
        #expect(types["tags"] == .array(.string()))
        #expect(types["colour"] == .string(values: ["red", "blue"]))
        #expect(types["inner"] == .reference("SchemaReaderTests_Inner"))
        #expect(types["at"] == .string(format: "date-time"))
        #expect(types["attributes"] == .object(properties: [], required: [], additional: .string()))
        #expect(types["parent"] == .nullable(.string(format: "uuid")), "a presence check makes a property optional")
        #expect(collector.components["SchemaReaderTests_Inner"] == .object([("amount", .integer, true)]))
    }

    struct Node: Codable, Sendable { var children: [Node] }

    @Test func recursiveAndGenericTypesAreNamedComponents() {
        let collector = SchemaCollector()
        #expect(collector.schema(for: Page<Node>.self) == .reference("Page_SchemaReaderTests_Node"))
        #expect(collector.components["SchemaReaderTests_Node"] == .object([("children", .array(.reference("SchemaReaderTests_Node")), true)]))
        #expect(collector.components["Page_SchemaReaderTests_Node"]
            == .object([("items", .array(.reference("SchemaReaderTests_Node")), true), ("nextCursor", .nullable(.string()), false)]))
    }

    @Test func aPathTemplateIsFilledAndEncoded() {
        let endpoint = Endpoint<NoBody, NoContent>("x", .GET, "/a/{id}/b/{name}", access: .anyone, summary: "")
        #expect(endpoint.path(["id": "1", "name": "a b/c"]) == "/a/1/b/a%20b%2Fc")
        #expect(endpoint.description.pathParameterNames == ["id", "name"])
        #expect(endpoint.description.schema(ofPathParameter: "id") == .string(format: "uuid"))
    }
}
