import CatalogAPI
import Foundation
import Hummingbird
import PlexusKit

/// `/api/v1/categories`: the public tree and its administration.
struct CategoriesController: Sendable {
    let categories: CategoryRepository
    let cache: CatalogCache
    let maxAge: Int

    func addRoutes(to router: EndpointRouter) {
        router.on(CatalogEndpoints.categories) { request, context in
            if let cached = cache.categories.get(0) { return cached.response(for: request, cacheControl: "public, max-age=\(maxAge)") }
            let generation = cache.generation
            let body = try CachedBody(json: try await categories.tree(logger: context.logger))
            cache.store(ifUnchangedSince: generation) { cache.categories.set(0, body) }
            return body.response(for: request, cacheControl: "public, max-age=\(maxAge)")
        }
        router.on(CatalogEndpoints.createCategory) { request, context in
            let body = try await request.decodeBody(CreateCategoryRequest.self, context: context)
            let created = try await categories.create(body, logger: context.logger)
            cache.apply(CatalogCache.categoriesMessage)
            return try Response.json(dto(created), status: .created)
        }
        router.on(CatalogEndpoints.updateCategory) { request, context in
            let id = try context.uuidParameter("id")
            let body = try await request.decodeBody(UpdateCategoryRequest.self, context: context)
            guard let updated = try await categories.update(id: id, body, logger: context.logger) else { throw ProblemError.notFound() }
            cache.apply(CatalogCache.categoriesMessage)
            return try Response.json(dto(updated))
        }
        router.on(CatalogEndpoints.deleteCategory) { _, context in
            guard try await categories.delete(id: try context.uuidParameter("id"), logger: context.logger) else { throw ProblemError.notFound() }
            cache.apply(CatalogCache.categoriesMessage)
            return Response.empty()
        }
    }

    func dto(_ record: CategoryRecord) -> CategoryDTO {
        CategoryDTO(id: record.id, name: record.name, slug: record.slug, parentId: record.parentID, position: record.position,
                    children: [], createdAt: record.createdAt, updatedAt: record.updatedAt)
    }
}
