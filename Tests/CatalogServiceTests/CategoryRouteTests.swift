import CatalogAPI
import Foundation
import PlexusKit
import PlexusKitTesting
import Testing

@Suite("Catalog: categories")
struct CategoryRouteTests {
    @Test("admins build, rename, move and delete the tree; slugs are unique; cycles and non-empty deletes are refused")
    func tree() async throws {
        try await CatalogHarness.with { harness, http in
            // setup
            let admin = try await harness.adminToken()
            let electronics = try await harness.category(http, "Electronics")
            let audio = try await harness.category(http, "Audio", parent: electronics)
            let headphones = try await harness.category(http, "Headphones", parent: audio)

            // act + assert: the tree
            let tree = try await http.get("/api/v1/categories").decode([CategoryDTO].self)
            #expect(tree.map(\.slug) == ["electronics"])
            #expect(tree[0].children.map(\.slug) == ["audio"])
            #expect(tree[0].children[0].children.map(\.id) == [headphones])

            // duplicate slug
            let duplicate = try await http.send(.post, "/api/v1/categories", CreateCategoryRequest(name: "Audio"), token: admin)
            #expect(duplicate.status == .conflict)
            #expect(try duplicate.problem().code == "slug_taken")

            // moving a category under its own descendant
            let cycle = try await http.send(.patch, "/api/v1/categories/\(electronics)", UpdateCategoryRequest(parentId: .some(headphones)), token: admin)
            #expect(cycle.status == .conflict)
            #expect(try cycle.problem().code == "category_cycle")
            let own = try await http.send(.patch, "/api/v1/categories/\(audio)", UpdateCategoryRequest(parentId: .some(audio)), token: admin)
            #expect(own.status == .conflict)

            // move to the top with an explicit null, rename
            let moved = try await http.sendRaw(.patch, "/api/v1/categories/\(audio)", #"{"parentId": null, "name": "Sound"}"#, token: admin)
            #expect(moved.status == .ok)
            let after = try await http.get("/api/v1/categories").decode([CategoryDTO].self)
            #expect(Set(after.map(\.name)) == ["Electronics", "Sound"])
            #expect(after.first { $0.name == "Sound" }?.children.map(\.id) == [headphones])

            // a category with children cannot be deleted; a leaf can
            #expect(try await http.delete("/api/v1/categories/\(audio)", token: admin).status == .conflict)
            #expect(try await http.delete("/api/v1/categories/\(headphones)", token: admin).status == .noContent)
            #expect(try await http.delete("/api/v1/categories/\(headphones)", token: admin).status == .notFound)
            let count = try await harness.client.column("SELECT count(*)::int FROM categories", as: Int.self)
            #expect(count == [2])
        }
    }

    @Test("only admins change categories; bad bodies are refused and change nothing")
    func refusals() async throws {
        try await CatalogHarness.with { harness, http in
            let customer = try await harness.issuer.token(roles: [.customer])
            let seller = try await harness.issuer.token(roles: [.customer, .seller])
            let admin = try await harness.adminToken()
            #expect(try await http.send(.post, "/api/v1/categories", CreateCategoryRequest(name: "X")).status == .unauthorized)
            #expect(try await http.send(.post, "/api/v1/categories", CreateCategoryRequest(name: "X"), token: customer).status == .forbidden)
            #expect(try await http.send(.post, "/api/v1/categories", CreateCategoryRequest(name: "X"), token: seller).status == .forbidden)
            #expect(try await http.sendRaw(.post, "/api/v1/categories", #"{"name":"X","id":"00000000-0000-0000-0000-000000000000"}"#, token: admin).status == .badRequest)
            #expect(try await http.send(.post, "/api/v1/categories", CreateCategoryRequest(name: "X", slug: "Not A Slug"), token: admin).status == .unprocessableContent)
            #expect(try await http.send(.post, "/api/v1/categories", CreateCategoryRequest(name: ""), token: admin).status == .unprocessableContent)
            #expect(try await http.send(.post, "/api/v1/categories", CreateCategoryRequest(name: "X", position: 99_999_999_999), token: admin).status == .unprocessableContent)
            #expect(try await http.send(.post, "/api/v1/categories", CreateCategoryRequest(name: "X", parentId: .v7()), token: admin).status == .unprocessableContent)
            #expect(try await http.send(.patch, "/api/v1/categories/\(UUID.v7())", UpdateCategoryRequest(name: "Y"), token: admin).status == .notFound)
            #expect(try await http.send(.patch, "/api/v1/categories/not-a-uuid", UpdateCategoryRequest(name: "Y"), token: admin).status == .notFound)
            #expect(try await harness.client.column("SELECT count(*)::int FROM categories", as: Int.self) == [0])
        }
    }

    @Test("the tree carries an ETag; a matching If-None-Match is a 304; a change makes a new tag")
    func conditionalGet() async throws {
        try await CatalogHarness.with { harness, http in
            _ = try await harness.category(http, "Books")
            let first = try await http.get("/api/v1/categories")
            let etag = try #require(first.headers[.eTag])
            #expect(first.headers[.cacheControl]?.contains("max-age") == true)
            #expect(try await http.get("/api/v1/categories", headers: [.ifNoneMatch: etag]).status == .notModified)
            _ = try await harness.category(http, "Games")
            let changed = try await http.get("/api/v1/categories", headers: [.ifNoneMatch: etag])
            #expect(changed.status == .ok)
            #expect(try changed.decode([CategoryDTO].self).count == 2)
        }
    }
}
