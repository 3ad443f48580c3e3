// swift-tools-version:6.0
import PackageDescription

// MARK: - The one table of services
//
// Every service is a row: `<Name>API` (its public contract, when it has one) and `<Name>Service`
// (its implementation). `uses` lists the other services whose *API* modules it may import. A service
// never depends on another `*Service`; `PackageGraphTests` reads this manifest and enforces that.

struct ServiceRow {
    let name: String
    let hasAPI: Bool
    let uses: [String]
    let extra: [Target.Dependency]
    var resources: [String] = []
    /// Other services a test target starts for real (tests may; the service itself may not).
    var testsUse: [String] = []
}

let serviceTable: [ServiceRow] = [
    ServiceRow(name: "Identity", hasAPI: true, uses: ["Shop", "Payment"], extra: [
        .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
    ], resources: ["Migrations"], testsUse: ["Notification"]),
    ServiceRow(name: "Media", hasAPI: true, uses: ["Identity"], extra: [
        .product(name: "MultipartKit", package: "multipart-kit"),
    ], resources: ["Migrations"]),
    ServiceRow(name: "Catalog", hasAPI: true, uses: ["Shop", "Order", "Media", "Review"], extra: [], resources: ["Migrations"], testsUse: ["Shop"]),
    ServiceRow(name: "Shop", hasAPI: true, uses: ["Catalog", "Identity", "Order"], extra: [], resources: ["Migrations"], testsUse: ["Identity", "Catalog"]),
    ServiceRow(name: "Cart", hasAPI: true, uses: ["Catalog", "Promotion"], extra: [], resources: ["Migrations"], testsUse: ["Catalog", "Shop", "Promotion"]),
    ServiceRow(name: "Promotion", hasAPI: true, uses: ["Shop", "Order"], extra: [], resources: ["Migrations"]),
    ServiceRow(name: "Order", hasAPI: true, uses: ["Identity", "Cart", "Catalog", "Promotion", "Payment"], extra: [], resources: ["Migrations"]),
    ServiceRow(name: "Payment", hasAPI: true, uses: ["Order"], extra: [
        .product(name: "Crypto", package: "swift-crypto"),
    ], resources: ["Migrations"]),
    ServiceRow(name: "Review", hasAPI: true, uses: ["Identity", "Shop", "Order", "Media", "Catalog"], extra: [], resources: ["Migrations"],
               testsUse: ["Identity", "Media"]),
    ServiceRow(name: "Notification", hasAPI: true, uses: ["Identity", "Order", "Payment", "Review"], extra: [
        .product(name: "Mustache", package: "swift-mustache"),
    ], resources: ["Migrations", "Templates"]),
    ServiceRow(name: "Gateway", hasAPI: false, uses: [], extra: []),
]

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let kitDependencies: [Target.Dependency] = [
    .product(name: "Hummingbird", package: "hummingbird"),
    .product(name: "HummingbirdCore", package: "hummingbird"),
    .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
    .product(name: "PostgresNIO", package: "postgres-nio"),
    .product(name: "JWTKit", package: "jwt-kit"),
    .product(name: "AsyncHTTPClient", package: "async-http-client"),
    .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
    .product(name: "Logging", package: "swift-log"),
    .product(name: "Metrics", package: "swift-metrics"),
    .product(name: "Prometheus", package: "swift-prometheus"),
    .product(name: "Crypto", package: "swift-crypto"),
    .product(name: "NIOCore", package: "swift-nio"),
    .product(name: "NIOPosix", package: "swift-nio"),
    .product(name: "NIOSSL", package: "swift-nio-ssl"),
    .product(name: "NIOHTTP1", package: "swift-nio"),
    .product(name: "_NIOFileSystem", package: "swift-nio"),
    .product(name: "Tracing", package: "swift-distributed-tracing"),
    .product(name: "Atomics", package: "swift-atomics"),
]

var targets: [Target] = [
    // What a Swift client of Plexus needs (Money, ids, problems, events, endpoints, schemas): no
    // server, database or metrics package.
    .target(name: "PlexusContract", dependencies: [.product(name: "Logging", package: "swift-log")], swiftSettings: swiftSettings),
    .target(name: "PlexusKit", dependencies: ["PlexusContract"] + kitDependencies, swiftSettings: swiftSettings),
    .target(
        name: "PlexusKitTesting",
        dependencies: [
            "PlexusKit",
            .product(name: "HummingbirdTesting", package: "hummingbird"),
            .product(name: "JWTKit", package: "jwt-kit"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ],
        swiftSettings: swiftSettings
    ),
    .testTarget(
        name: "PlexusKitTests",
        dependencies: ["PlexusKit", "PlexusKitTesting"],
        swiftSettings: swiftSettings
    ),
]

for row in serviceTable {
    if row.hasAPI {
        targets.append(.target(name: "\(row.name)API", dependencies: ["PlexusContract", .product(name: "Logging", package: "swift-log")],
                               swiftSettings: swiftSettings))
    }
    var deps: [Target.Dependency] = ["PlexusKit"]
    if row.hasAPI { deps.append(.target(name: "\(row.name)API")) }
    deps += row.uses.map { .target(name: "\($0)API") }
    deps += row.extra
    targets.append(.target(
        name: "\(row.name)Service",
        dependencies: deps,
        resources: row.resources.map { .copy($0) },
        swiftSettings: swiftSettings
    ))
    targets.append(.testTarget(
        name: "\(row.name)ServiceTests",
        dependencies: [.target(name: "\(row.name)Service"), "PlexusKitTesting"]
            + (row.hasAPI ? [.target(name: "\(row.name)API")] : [])
            + row.uses.map { .target(name: "\($0)API") }
            + row.testsUse.map { .target(name: "\($0)Service") },
        swiftSettings: swiftSettings
    ))
}

let allServiceTargets: [Target.Dependency] = serviceTable.map { .target(name: "\($0.name)Service") }

targets += [
    // The one list of services the CLI and the system tests iterate (its rows mirror the table above).
    .target(name: "PlexusRegistry", dependencies: allServiceTargets + ["PlexusKit"], swiftSettings: swiftSettings),
    .executableTarget(
        name: "plexus",
        dependencies: allServiceTargets + [
            "PlexusKit",
            "PlexusRegistry",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "PostgresNIO", package: "postgres-nio"),
            "CartAPI", "CatalogAPI", "IdentityAPI", "OrderAPI", "PaymentAPI",
        ],
        swiftSettings: swiftSettings
    ),
    // The bare Hummingbird server `Benchmarks/path.sh` measures the kit against (not part of Plexus).
    .executableTarget(
        name: "bare-hello",
        dependencies: [.product(name: "Hummingbird", package: "hummingbird")],
        path: "Benchmarks/BareHello"
    ),
    .testTarget(
        name: "SystemTests",
        dependencies: allServiceTargets + ["PlexusKit", "PlexusKitTesting", "PlexusRegistry", "IdentityAPI", "CatalogAPI", "ShopAPI", "CartAPI", "PromotionAPI", "OrderAPI", "PaymentAPI", "MediaAPI", "ReviewAPI",
                                           .product(name: "HummingbirdTesting", package: "hummingbird")],
        swiftSettings: swiftSettings
    ),
]

let package = Package(
    name: "plexus",
    platforms: [.macOS(.v14)],
    products: [.executable(name: "plexus", targets: ["plexus"]), .executable(name: "bare-hello", targets: ["bare-hello"])],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.0"),
        .package(url: "https://github.com/vapor/jwt-kit.git", from: "5.7.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.0"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.0"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-distributed-tracing.git", from: "1.6.0"),
        .package(url: "https://github.com/vapor/multipart-kit.git", from: "4.7.0"),
        .package(url: "https://github.com/apple/swift-atomics.git", from: "1.2.0"),
    ],
    targets: targets,
    swiftLanguageModes: [.v6]
)
