import Foundation
@testable import MediaService
import Testing

@Suite("Media: reading and cleaning image headers")
struct ImageProbeTests {
    @Test("each accepted format is recognised by its bytes, with its size", arguments: ["jpg", "png", "webp", "gif"])
    func formats(_ ext: String) async throws {
        let bytes = try await Samples.image(width: 37, height: 21, ext: ext)
        let probe = try #require(ImageProbe.read(bytes))
        #expect(probe.format.fileExtension == ext)
        #expect(probe.width == 37 && probe.height == 21)
        #expect(probe.orientation == 1)
        let stripped = try #require(MetadataStripper.strip(bytes, probe: probe))
        #expect(ImageProbe.read(stripped) == probe)
        #expect(try await Samples.header(of: stripped, ext: ext).contains("37x21"))
    }

    @Test("SVG, HTML, text and truncated images are not images")
    func refusals() throws {
        let svg = Array(#"<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>"#.utf8)
        #expect(ImageProbe.read(svg) == nil)
        #expect(ImageProbe.read(Array("<html><body>hi</body></html>".utf8)) == nil)
        #expect(ImageProbe.read([0xFF, 0xD8, 0xFF]) == nil)
        #expect(ImageProbe.read(Array([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])) == nil)
        #expect(ImageProbe.read(Array("RIFF\0\0\0\0WEBPVP8 ".utf8)) == nil)
    }

    @Test("a PNG that declares 50000×50000 pixels is read as that, without decoding anything")
    func pixelBomb() throws {
        let bomb = Samples.pngHeader(width: 50_000, height: 50_000)
        let probe = try #require(ImageProbe.read(bomb))
        #expect(probe.width * probe.height == 2_500_000_000)
    }

    @Test("EXIF with a GPS position is removed from a JPEG; its orientation survives alone")
    func exif() async throws {
        let plain = try await Samples.image(width: 40, height: 20, ext: "jpg")
        let tagged = Samples.withExif(plain, orientation: 6)
        #expect(Samples.contains(tagged, "GPS-SECRET"))
        let probe = try #require(ImageProbe.read(tagged))
        #expect(probe.orientation == 6)
        #expect(probe.uprightSize == (20, 40))
        let stripped = try #require(MetadataStripper.strip(tagged, probe: probe))
        #expect(!Samples.contains(stripped, "GPS-SECRET"))
        #expect(!Samples.contains(stripped, "CameraMaker"))
        #expect(ImageProbe.read(stripped)?.orientation == 6)
        #expect(try await Samples.header(of: stripped, ext: "jpg").contains("40x20"))
    }

    @Test("the libvips tool is found on PATH or by path, and a missing one is reported as missing")
    func toolLookup() {
        #expect(Thumbnailer.isInstalled("vips"))
        #expect(!Thumbnailer.isInstalled("no-such-tool-plexus"))
        #expect(!Thumbnailer.isInstalled("/nonexistent/vips"))
    }
}
