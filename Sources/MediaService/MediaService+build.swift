import AsyncHTTPClient
import Foundation
import IdentityAPI
import Logging
import MediaAPI
import NIOCore
import PlexusKit
import PostgresNIO

/// Media: image uploads, their storage, thumbnails and serving.
public enum MediaService: PlexusService {
    public static let name = ServiceName.media
    public static var migrations: [MigrationSet] {
        get throws { try MigrationSet.service("media", bundle: .module) }
    }
    public static let publishes = MediaEvent.all
    public static let summary = "Image uploads (checked by their bytes, metadata removed), local or S3 storage, WebP thumbnails made in the background."
    public static let endpoints = MediaEndpoints.all

    public static func loadConfiguration(reader: inout ConfigReader) throws -> MediaConfiguration {
        try MediaConfiguration.load(reader: &reader)
    }

    /// The router, the processing and clean-up jobs.
    public static func build(configuration: MediaConfiguration, environment: ServiceEnvironment) async throws -> ServiceParts {
        let router = environment.makeRouter(migrations: try migrations)
        if !Thumbnailer.isInstalled(configuration.thumbnailer.vips) {
            environment.logger.error("libvips' `vips` was not found: uploads are stored and served, but none gets thumbnails (install libvips-tools or set PLEXUS_MEDIA_VIPS)")
        }
        let stored = try configuration.store.makeStore(http: environment.http.http)
        let cache = configuration.cacheEntries > 0 ? CachingBlobStore(stored, entries: configuration.cacheEntries) : nil
        let store: any BlobStore = cache ?? stored
        let media = MediaRepository(client: environment.db.client, outbox: environment.outbox, urls: MediaURLs(base: configuration.common.publicURL))
        let processor = MediaProcessor(media: media, store: store, thumbnailer: configuration.thumbnailer, orphanAge: configuration.orphanAge)
        MediaController(media: media, processor: processor, store: store, limits: configuration.limits,
                        gate: UploadGate(limit: configuration.limits.concurrentUploads)).addRoutes(to: router)
        let process = JobRegistration.on(MediaJobs.process) { target, job, logger in try await processor.process(target, job: job, logger: logger) }
        let cleanUp = JobRegistration.on(MediaJobs.cleanUp) { _, _, logger in try await processor.cleanUp(logger: logger) }
        // files in memory are answered on the connection's event loop, without a task (the rest by the router)
        var parts = ServiceParts(router: router, jobs: [process, cleanUp], periodic: [PeriodicJob(MediaJobs.cleanUp, every: configuration.cleanUpEvery)])
        if let cache {
            let metrics = RouteMetrics()
            let logger = environment.logger
            parts.server = EdgeChannel.server {
                ImmediateAnswerHandler(serverName: ServiceRuntime.serverName(name.rawValue), metrics: metrics, logger: logger) { MediaController.immediateAnswer($0, store: cache) }
            }
        }
        return parts
    }

    /// Demo pictures: generated here (no internet needed), stored like uploads of the first demo
    /// seller, attached, and processed into thumbnails by the running service.
    public static func seedDemo(_ demo: DemoSeed, client: DatabaseClient, logger: Logger) async throws {
        var reader = ConfigReader()
        let settings = try MediaStoreSettings.load(reader: &reader)
        let thumbnailer = MediaConfiguration.thumbnailer(reader: reader)
        try reader.finish()
        guard let owner = demo[IdentityDemo.sellers]?.first else { return }
        let existing = try await client.query("SELECT id FROM media WHERE owner_id = \(owner) ORDER BY created_at LIMIT \(DemoPictures.count)", logger: logger)
        var ids: [UUID] = []
        for try await id in existing.decode(UUID.self) { ids.append(id) }
        if ids.count < DemoPictures.count {
            do {
                let store = try settings.makeStore(http: .plexus)
                ids = try await DemoPictures.seed(owner: owner, client: client, store: store, thumbnailer: thumbnailer, logger: logger)
                demo.report("pictures  \(ids.count) generated demo images (thumbnails follow once the media service runs)")
            } catch {
                // the rest of the demo does not need pictures (the products are seeded without images)
                demo.report("pictures  not generated: \(error) (is libvips' `vips` installed?)")
                return
            }
        }
        demo[MediaDemo.images] = ids
    }
}

/// Where the bytes go.
public enum MediaStoreSettings: Sendable, Equatable {
    case local(directory: URL)
    case s3(S3Settings)

    /// `PLEXUS_MEDIA_STORE` (`local` or `s3`) and the keys of the chosen store.
    public static func load(reader: inout ConfigReader) throws -> MediaStoreSettings {
        switch reader.string("PLEXUS_MEDIA_STORE", default: "local") {
        case "local":
            return .local(directory: URL(fileURLWithPath: reader.string("PLEXUS_MEDIA_LOCAL_DIRECTORY", default: ".plexus/media")).standardizedFileURL)
        case "s3":
            let settings = S3Settings(endpoint: reader.require("PLEXUS_MEDIA_S3_ENDPOINT"), region: reader.string("PLEXUS_MEDIA_S3_REGION", default: "us-east-1"),
                                      bucket: reader.require("PLEXUS_MEDIA_S3_BUCKET"), accessKey: reader.require("PLEXUS_MEDIA_S3_ACCESS_KEY"),
                                      secretKey: reader.require("PLEXUS_MEDIA_S3_SECRET_KEY"),
                                      pathStyle: reader.bool("PLEXUS_MEDIA_S3_PATH_STYLE", default: true))
            return .s3(settings)
        default:
            reader.reportMalformed("PLEXUS_MEDIA_STORE (local or s3)")
            return .local(directory: URL(fileURLWithPath: ".plexus/media"))
        }
    }

    func makeStore(http: HTTPClient) throws -> any BlobStore {
        switch self {
        case .local(let directory): try LocalBlobStore(directory: directory)
        case .s3(let settings): try S3BlobStore(settings: settings, http: http)
        }
    }
}

/// Media's configuration: the common keys and
///
/// | key | meaning |
/// | --- | --- |
/// | `PLEXUS_MEDIA_STORE` | `local` (default) or `s3` |
/// | `PLEXUS_MEDIA_LOCAL_DIRECTORY` | with `local`: the directory (`.plexus/media`) |
/// | `PLEXUS_MEDIA_S3_ENDPOINT`, `_S3_REGION` (`us-east-1`), `_S3_BUCKET`, `_S3_ACCESS_KEY`, `_S3_SECRET_KEY` | with `s3`: where and as whom |
/// | `PLEXUS_MEDIA_S3_PATH_STYLE` | `true` (default): `endpoint/bucket/key`; `false`: `bucket.endpoint/key` |
/// | `PLEXUS_MEDIA_MAX_BYTES` | largest file accepted (10485760) |
/// | `PLEXUS_MEDIA_MAX_PIXELS` | most pixels an image may have (40000000) |
/// | `PLEXUS_MEDIA_DAILY_FILES`, `PLEXUS_MEDIA_DAILY_BYTES` | per-user uploads in any 24 hours (200 files, 524288000 bytes) |
/// | `PLEXUS_MEDIA_ORPHAN_HOURS` | uploads never attached are deleted after this (24) |
/// | `PLEXUS_MEDIA_CACHE_ENTRIES` | stored objects up to 128 KiB (thumbnails) kept in memory (512; `0` turns it off) |
/// | `PLEXUS_MEDIA_CONCURRENT_UPLOADS` | uploads one process reads at once (8); beyond, 503 `uploads_busy` with `Retry-After` |
/// | `PLEXUS_MEDIA_VIPS` | libvips' command-line tool (`vips` on `PATH`; Debian's `libvips-tools`) |
public struct MediaConfiguration: ServiceConfiguration {
    public var common: CommonConfiguration
    public var store: MediaStoreSettings
    var limits: MediaLimits
    var orphanAge: Duration
    var cleanUpEvery: Duration
    var thumbnailer: Thumbnailer
    /// Small stored objects kept in memory (0: none).
    public var cacheEntries: Int

    /// Creates a configuration directly.
    public init(common: CommonConfiguration, store: MediaStoreSettings, maxBytes: Int = 10 << 20, maxPixels: Int = 40_000_000,
                dailyFiles: Int = 200, dailyBytes: Int = 500 << 20, orphanAge: Duration = .seconds(24 * 3_600),
                cleanUpEvery: Duration = .seconds(600), vips: String = "vips", cacheEntries: Int = 512, concurrentUploads: Int = 8) {
        self.common = common
        self.store = store
        self.limits = MediaLimits(maxBytes: maxBytes, concurrentUploads: concurrentUploads, maxPixels: maxPixels,
                                  quota: QuotaLimits(files: dailyFiles, bytes: dailyBytes))
        self.orphanAge = orphanAge
        self.cleanUpEvery = cleanUpEvery
        self.thumbnailer = Thumbnailer(vips: vips)
        self.cacheEntries = cacheEntries
    }

    static func thumbnailer(reader: ConfigReader) -> Thumbnailer {
        Thumbnailer(vips: reader.string("PLEXUS_MEDIA_VIPS", default: "vips"))
    }

    /// Reads the configuration, listing every missing or malformed key.
    public static func load(reader: inout ConfigReader) throws -> MediaConfiguration {
        let common = CommonConfiguration(service: .media, reader: &reader)
        let store = try MediaStoreSettings.load(reader: &reader)
        let maxBytes = reader.int("PLEXUS_MEDIA_MAX_BYTES", default: 10 << 20)
        let maxPixels = reader.int("PLEXUS_MEDIA_MAX_PIXELS", default: 40_000_000)
        let files = reader.int("PLEXUS_MEDIA_DAILY_FILES", default: 200)
        let bytes = reader.int("PLEXUS_MEDIA_DAILY_BYTES", default: 500 << 20)
        let orphanHours = reader.int("PLEXUS_MEDIA_ORPHAN_HOURS", default: 24)
        let cacheEntries = reader.int("PLEXUS_MEDIA_CACHE_ENTRIES", default: 512)
        let concurrent = reader.int("PLEXUS_MEDIA_CONCURRENT_UPLOADS", default: 8)
        let tools = thumbnailer(reader: reader)
        if !(1_024...(1 << 30)).contains(maxBytes) { reader.reportMalformed("PLEXUS_MEDIA_MAX_BYTES (1024 to 1073741824)") }
        if !(1...500_000_000).contains(maxPixels) { reader.reportMalformed("PLEXUS_MEDIA_MAX_PIXELS (1 to 500000000)") }
        if files < 1 || bytes < 1 { reader.reportMalformed("PLEXUS_MEDIA_DAILY_FILES and _DAILY_BYTES (positive)") }
        if !(1...8_760).contains(orphanHours) { reader.reportMalformed("PLEXUS_MEDIA_ORPHAN_HOURS (1 to 8760)") }
        if !(0...100_000).contains(cacheEntries) { reader.reportMalformed("PLEXUS_MEDIA_CACHE_ENTRIES (0 to 100000)") }
        if !(1...1_000).contains(concurrent) { reader.reportMalformed("PLEXUS_MEDIA_CONCURRENT_UPLOADS (1 to 1000)") }
        try reader.finish()
        var configuration = MediaConfiguration(common: common, store: store, maxBytes: maxBytes, maxPixels: maxPixels, dailyFiles: files,
                                               dailyBytes: bytes, orphanAge: .seconds(orphanHours * 3_600), cacheEntries: cacheEntries,
                                               concurrentUploads: concurrent)
        configuration.thumbnailer = tools
        return configuration
    }
}
