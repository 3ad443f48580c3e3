import Foundation

/// The three thumbnail sizes (WebP, fitted inside 160, 480 and 1200 pixels square).
public struct MediaThumbnails: Codable, Sendable, Equatable {
    public var small: String?
    public var medium: String?
    public var large: String?

    public init(small: String? = nil, medium: String? = nil, large: String? = nil) {
        self.small = small
        self.medium = medium
        self.large = large
    }
}
