import Foundation
import PlexusContract

/// A category with its sub-categories, as `GET /api/v1/categories` returns the tree.
public struct CategoryDTO: Codable, Sendable, Equatable {
    /// Its id.
    public var id: UUID
    /// Display name.
    public var name: String
    /// Unique slug.
    public var slug: String
    /// The parent, or `nil` at the top.
    public var parentId: UUID?
    /// Order among siblings.
    public var position: Int
    /// Sub-categories, ordered by position then name.
    public var children: [CategoryDTO]
    /// Created.
    public var createdAt: Date
    /// Last changed.
    public var updatedAt: Date

    /// Creates a category DTO.
    public init(id: UUID, name: String, slug: String, parentId: UUID?, position: Int, children: [CategoryDTO], createdAt: Date, updatedAt: Date) {
        self.id = id
        self.name = name
        self.slug = slug
        self.parentId = parentId
        self.position = position
        self.children = children
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// `POST /api/v1/categories`.
public struct CreateCategoryRequest: Codable, Sendable {
    /// Name (1–100 characters).
    public var name: String
    /// Slug; derived from the name when absent.
    public var slug: String?
    /// Parent category.
    public var parentId: UUID?
    /// Order among siblings (0 by default).
    public var position: Int?

    /// Creates the request.
    public init(name: String, slug: String? = nil, parentId: UUID? = nil, position: Int? = nil) {
        self.name = name
        self.slug = slug
        self.parentId = parentId
        self.position = position
    }
}

/// `PATCH /api/v1/categories/{id}`. `parentId: null` moves the category to the top level; an
/// absent `parentId` leaves it where it is.
public struct UpdateCategoryRequest: Codable, Sendable {
    /// New name.
    public var name: String?
    /// New slug.
    public var slug: String?
    /// `.some(nil)` moves to the top, `.some(id)` under `id`, `nil` keeps the parent.
    public var parentId: UUID??
    /// New position.
    public var position: Int?

    enum CodingKeys: String, CodingKey, CaseIterable { case name, slug, parentId, position }

    /// Creates the request.
    public init(name: String? = nil, slug: String? = nil, parentId: UUID?? = nil, position: Int? = nil) {
        self.name = name
        self.slug = slug
        self.parentId = parentId
        self.position = position
    }

    /// Tells an explicit `null` parent apart from an absent one.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decodeIfPresent(String.self, forKey: .name)
        slug = try container.decodeIfPresent(String.self, forKey: .slug)
        position = try container.decodeIfPresent(Int.self, forKey: .position)
        if container.contains(.parentId) {
            parentId = .some(try container.decodeNil(forKey: .parentId) ? nil : try container.decode(UUID.self, forKey: .parentId))
        } else {
            parentId = nil
        }
    }

    /// Writes an explicit `null` for a move to the top.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeIfPresent(name, forKey: .name)
        try container.encodeIfPresent(slug, forKey: .slug)
        try container.encodeIfPresent(position, forKey: .position)
        if let parentId { try container.encode(parentId, forKey: .parentId) }
    }
}
