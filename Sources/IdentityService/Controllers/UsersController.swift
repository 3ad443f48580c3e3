import Foundation
import Hummingbird
import IdentityAPI
import PlexusKit

/// `/api/v1/users/me` and the address book.
struct UsersController: Sendable {
    let identity: Identity

    func addRoutes(to router: EndpointRouter) {
        router.on(IdentityEndpoints.me) { _, context in
            try Response.json(try await identity.currentUser(try context.requireUser(), logger: context.logger).dto)
        }
        router.on(IdentityEndpoints.updateMe) { request, context in
            let user = try await identity.currentUser(try context.requireUser(), logger: context.logger)
            let body = try await request.decodeBody(UpdateProfileRequest.self, context: context)
            guard let name = body.name?.trimmingCharacters(in: .whitespacesAndNewlines) else { return try Response.json(user.dto) }
            guard let updated = try await identity.users.updateName(id: user.id, name: name, logger: context.logger) else { throw ProblemError.notFound() }
            return try Response.json(updated.dto)
        }
        router.on(IdentityEndpoints.addresses) { _, context in
            let user = try await identity.currentUser(try context.requireUser(), logger: context.logger)
            return try Response.json(Page(items: try await identity.addresses.list(userID: user.id, logger: context.logger), nextCursor: nil))
        }
        router.on(IdentityEndpoints.createAddress) { request, context in
            let user = try await identity.currentUser(try context.requireUser(), logger: context.logger)
            let body = try await request.decodeBody(AddressRequest.self, context: context)
            let fields = try AddressFields(body, base: nil)
            let address = try await identity.addresses.create(userID: user.id, fields, makeDefault: body.isDefault ?? false, logger: context.logger)
            return try Response.json(address, status: .created)
        }
        router.on(IdentityEndpoints.updateAddress) { request, context in
            let user = try await identity.currentUser(try context.requireUser(), logger: context.logger)
            let id = try context.uuidParameter("id")
            let body = try await request.decodeBody(AddressRequest.self, context: context)
            guard let existing = try await identity.addresses.find(userID: user.id, id: id, logger: context.logger) else { throw ProblemError.notFound() }
            let fields = try AddressFields(body, base: existing)
            guard let updated = try await identity.addresses.update(userID: user.id, id: id, fields, makeDefault: body.isDefault, logger: context.logger)
            else { throw ProblemError.notFound() }
            return try Response.json(updated)
        }
        router.on(IdentityEndpoints.deleteAddress) { _, context in
            let user = try await identity.currentUser(try context.requireUser(), logger: context.logger)
            guard try await identity.addresses.delete(userID: user.id, id: try context.uuidParameter("id"), logger: context.logger) else {
                throw ProblemError.notFound()
            }
            return Response.empty()
        }
        router.on(IdentityEndpoints.contact) { _, context in
            guard let user = try await identity.users.find(id: try context.uuidParameter("userId"), logger: context.logger) else { throw ProblemError.notFound() }
            return try Response.json(UserContact(userId: user.id, email: user.email, name: user.name))
        }
        router.on(IdentityEndpoints.userAddress) { _, context in
            guard let address = try await identity.addresses.find(userID: try context.uuidParameter("userId"), id: try context.uuidParameter("id"),
                                                                  logger: context.logger) else { throw ProblemError.notFound() }
            return try Response.json(address)
        }
    }
}

/// `/api/v1/admin/users`.
struct AdminController: Sendable {
    let identity: Identity

    func addRoutes(to router: EndpointRouter) {
        router.on(IdentityEndpoints.adminUsers) { request, context in
            try await requireAdmin(context)
            let query = try request.query(allowing: ["q", "limit", "cursor"])
            let page = try PageRequest(query: query)
            let q = query["q"].flatMap { $0.isEmpty ? nil : String($0.prefix(100)) }
            let users = try await identity.users.search(query: q, page: page, logger: context.logger)
            return try Response.json(Page(fetched: users, limit: page.limit, id: \.id, item: \.dto))
        }
        router.on(IdentityEndpoints.adminUpdateUser) { request, context in
            let caller = try await requireAdmin(context)
            let id = try context.uuidParameter("id")
            let body = try await request.decodeBody(AdminUserUpdateRequest.self, context: context)
            if id == caller.id, body.disabled == true || (body.roles.map { !$0.contains(.admin) } ?? false) {
                throw ProblemError.conflict("cannot_demote_self", "Administrators cannot disable themselves or drop their own admin role.")
            }
            let updated = try await identity.client.withTransaction(logger: context.logger) { connection -> UserRecord? in
                guard let user = try await identity.users.adminUpdate(id: id, roles: body.roles, disabled: body.disabled, on: connection, logger: context.logger)
                else { return nil }
                if body.disabled == true { try await identity.sessions.revokeAll(userID: id, on: connection, logger: context.logger) }
                return user
            }
            guard let updated else { throw ProblemError.notFound() }
            return try Response.json(updated.dto)
        }
    }

    @discardableResult
    func requireAdmin(_ context: PlexusContext) async throws -> UserRecord {
        let user = try await identity.currentUser(try context.requireUser(), logger: context.logger)
        guard user.roleSet.contains(.admin) else { throw ProblemError.forbidden() }
        return user
    }
}
