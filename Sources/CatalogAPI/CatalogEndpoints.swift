import Foundation
import PlexusContract

/// The catalogue's endpoints: the one declaration its router, typed client, the gateway and the
/// documentation read.
public enum CatalogEndpoints {
    static let writerProblems = [
        ProblemCase(403, "no_shop", "A seller without a shop (open one first)."),
        ProblemCase(409, "slug_taken", "Another product uses this slug."),
        ProblemCase(409, "sku_taken", "Another variant uses this SKU."),
    ]
    /// Product reads take an id or a slug (the path parameter keeps the name `id` its siblings use).
    static let idOrSlug: [String: Schema] = ["id": .string()]

    public static let categories = Endpoint<NoBody, [CategoryDTO]>("listCategories", .GET, "/api/v1/categories", access: .anyone,
        summary: "The category tree (cached; `ETag`, `If-None-Match` → 304).")
    public static let createCategory = Endpoint<CreateCategoryRequest, CategoryDTO>("createCategory", .POST, "/api/v1/categories",
        access: .roles([.admin]), summary: "Add a category.", status: 201,
        problems: [ProblemCase(409, "slug_taken", "Another category uses this slug.")])
    public static let updateCategory = Endpoint<UpdateCategoryRequest, CategoryDTO>("updateCategory", .PATCH, "/api/v1/categories/{id}",
        access: .roles([.admin]), summary: "Rename, move (never under itself) or reorder a category.",
        problems: [ProblemCase(409, "category_cycle", "The move would put the category under itself.")])
    public static let deleteCategory = Endpoint<NoBody, NoContent>("deleteCategory", .DELETE, "/api/v1/categories/{id}",
        access: .roles([.admin]), summary: "Remove a category without children or products.", status: 204,
        problems: [ProblemCase(409, "category_not_empty", "It still has children or products.")])

    public static let products = Endpoint<NoBody, ProductListDTO>("listProducts", .GET, "/api/v1/products", access: .anyone,
        summary: "Search and list published products with facets. `attr.<name>=<value>` filters by an attribute (repeatable).",
        query: [
            QueryParameter("q", .string(), "Full-text search, typo tolerant."),
            QueryParameter("category", .string(), "Category id or slug (includes sub-categories)."),
            QueryParameter("shop", .string(format: "uuid"), "Only this shop's products."),
            QueryParameter("minPrice", .integer, "Lowest price in minor units."),
            QueryParameter("maxPrice", .integer, "Highest price in minor units."),
            QueryParameter("inStock", .boolean, "`true`: in stock; `false`: out of stock."),
            QueryParameter("minRating", .number, "Only products whose average rating is at least this (1–5, e.g. `4` or `4.5`)."),
            QueryParameter("sort", .string(values: ["relevance", "newest", "price", "-price", "bestSelling", "rating"]), "Order."),
            .limit, .cursor,
        ])
    public static let product = Endpoint<NoBody, ProductDTO>("getProduct", .GET, "/api/v1/products/{id}", access: .anyone,
        summary: "A product with its variants (drafts only for their seller or an admin); `ETag`, `Cache-Control`.", pathParameters: idOrSlug)
    public static let createProduct = Endpoint<CreateProductRequest, ProductDTO>("createProduct", .POST, "/api/v1/products",
        access: .roles([.seller, .admin]), summary: "Create a product with at least one variant (in the seller's own shop).", status: 201,
        problems: writerProblems)
    public static let updateProduct = Endpoint<UpdateProductRequest, ProductDTO>("updateProduct", .PATCH, "/api/v1/products/{id}",
        access: .roles([.seller, .admin]), summary: "Change a product (its owning seller or an admin).", problems: writerProblems)
    public static let archiveProduct = Endpoint<NoBody, NoContent>("archiveProduct", .DELETE, "/api/v1/products/{id}",
        access: .roles([.seller, .admin]), summary: "Archive a product (it stays readable for old orders).", status: 204, problems: writerProblems)
    public static let addVariant = Endpoint<CreateVariantRequest, ProductDTO>("addVariant", .POST, "/api/v1/products/{id}/variants",
        access: .roles([.seller, .admin]), summary: "Add a variant.", status: 201, problems: writerProblems)
    public static let attachImage = Endpoint<AttachImageRequest, ProductDTO>("attachImage", .POST, "/api/v1/products/{id}/images",
        access: .roles([.seller, .admin]), summary: "Attach an uploaded image (the seller's own upload; any for an admin).", status: 201,
        problems: writerProblems + [ProblemCase(403, "not_your_media", "Someone else uploaded it.")])
    public static let detachImage = Endpoint<NoBody, ProductDTO>("detachImage", .DELETE, "/api/v1/products/{id}/images/{mediaId}",
        access: .roles([.seller, .admin]), summary: "Take an image off the product (the upload stays for the products that still show it).",
        problems: writerProblems)
    public static let updateVariant = Endpoint<UpdateVariantRequest, ProductDTO>("updateVariant", .PATCH, "/api/v1/variants/{id}",
        access: .roles([.seller, .admin]), summary: "Change a variant's SKU, options or prices.", problems: writerProblems)
    public static let deleteVariant = Endpoint<NoBody, NoContent>("deleteVariant", .DELETE, "/api/v1/variants/{id}",
        access: .roles([.seller, .admin]), summary: "Remove a variant (not the last one, not one with reserved units).", status: 204,
        problems: writerProblems)
    public static let setStock = Endpoint<SetStockRequest, ProductDTO>("setStock", .PUT, "/api/v1/variants/{id}/stock",
        access: .roles([.seller, .admin]), summary: "Set units on hand (never below what is reserved).",
        problems: writerProblems + [ProblemCase(409, "below_reserved", "More units are reserved than that.")])

    public static let reserve = Endpoint<ReserveRequest, ReservationDTO>("reserveStock", .POST, "/internal/reservations",
        access: .services([.order]), summary: "Hold stock for an order: every line or none.", status: 201,
        problems: [ProblemCase(409, "insufficient_stock", "A line is not available in that quantity."),
                   ProblemCase(422, "not_purchasable", "A variant does not exist or is not published."),
                   ProblemCase(409, "reservation_mismatch", "The order id was reserved with other lines.")])
    public static let reservation = Endpoint<NoBody, ReservationDTO>("getReservation", .GET, "/internal/reservations/{orderId}",
        access: .services([.order]), summary: "A reservation.")
    public static let commit = Endpoint<NoBody, ReservationDTO>("commitReservation", .POST, "/internal/reservations/{orderId}/commit",
        access: .services([.order]), summary: "Turn held units into sold ones (the order was paid).",
        problems: [ProblemCase(409, "reservation_released", "It was released."), ProblemCase(409, "reservation_expired", "Its hold ran out.")])
    public static let release = Endpoint<NoBody, ReservationDTO>("releaseReservation", .POST, "/internal/reservations/{orderId}/release",
        access: .services([.order]), summary: "Give held units back (the order was cancelled).",
        problems: [ProblemCase(409, "reservation_committed", "It was already committed."), ProblemCase(409, "reservation_expired", "Its hold ran out.")])

    public static let quote = Endpoint<QuoteRequest, QuoteList>("quoteVariants", .POST, "/internal/variants/quote",
        access: .services([.cart, .order]), summary: "Current price, availability, product, shop and categories of up to 100 variants (deleted ones are left out).")

    /// Every endpoint the catalogue serves.
    public static let all: [EndpointDescription] = [
        categories.description, createCategory.description, updateCategory.description, deleteCategory.description,
        products.description, product.description, createProduct.description, updateProduct.description, archiveProduct.description,
        addVariant.description, attachImage.description, detachImage.description, updateVariant.description, deleteVariant.description, setStock.description,
        reserve.description, reservation.description, commit.description, release.description, quote.description,
    ]
}
