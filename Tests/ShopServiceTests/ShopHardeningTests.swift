import Foundation
import HummingbirdTesting
import PlexusKit
import PlexusKitTesting
import ShopAPI
import Testing

@Suite("Shop: hostile input")
struct ShopHardeningTests {
    @Test("a name long in code points but short in characters is refused with 422, not a database 500")
    func combiningMarksCountAsTheDatabaseCounts() async throws {
        try await ShopHarness.with { harness, http in
            // setup: two letters carrying 99 combining accents: 2 characters, 101 code points
            let name = "a" + String(repeating: "\u{301}", count: 50) + "b" + String(repeating: "\u{301}", count: 49)
            #expect(name.count == 2 && name.unicodeScalars.count == 101)
            // act
            let response = try await http.send(.post, "/api/v1/shops", CreateShopRequest(name: name), token: try await harness.issuer.token())
            // expect
            #expect(response.status == .unprocessableContent, "\(response.text)")
            #expect(try await harness.client.column("SELECT count(*)::int FROM shops", as: Int.self) == [0])
        }
    }

    @Test("a shop renamed to Me does not take the slug /shops/me shadows")
    func renameToMe() async throws {
        try await ShopHarness.with { harness, http in
            let owner = try await harness.issuer.token()
            #expect(try await http.send(.post, "/api/v1/shops", CreateShopRequest(name: "First Name"), token: owner).status == .created)
            let renamed = try await http.send(.patch, "/api/v1/shops/me", UpdateShopRequest(name: "Me"), token: owner)
            #expect(renamed.status == .ok)
            #expect(try renamed.decode(ShopDTO.self).slug == "me-shop")
        }
    }

    @Test("% and _ in a shop search match themselves")
    func likeWildcardsAreLiteral() async throws {
        try await ShopHarness.with { harness, http in
            for name in ["Plain Goods", "Half_Price Deals"] {
                #expect(try await http.send(.post, "/api/v1/shops", CreateShopRequest(name: name), token: try await harness.issuer.token()).status == .created)
            }
            let underscore = try await http.get("/api/v1/shops?q=_").decode(Page<ShopDTO>.self)
            let percent = try await http.get("/api/v1/shops?q=%25").decode(Page<ShopDTO>.self)
            #expect(underscore.items.map(\.name) == ["Half_Price Deals"])
            #expect(percent.items.isEmpty)
        }
    }
}
