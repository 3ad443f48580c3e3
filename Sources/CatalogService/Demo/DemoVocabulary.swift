import Foundation

/// The demo catalogue's vocabulary: a category tree whose leaves know how to name, vary and
/// price their products.
enum DemoVocabulary {
    struct Leaf {
        var name: String
        var nouns: [String]
        var adjectives: [String]
        var options: [(String, [String])]
        var priceRange: ClosedRange<Int>
        var material: [String]
    }

    static let brands = ["Sonora", "Aurora", "Northwind", "Kestrel", "Lumen", "Vireo", "Halcyon", "Tamarack", "Orbit", "Meridian", "Juniper", "Basalt"]
    static let colours = ["Black", "White", "Silver", "Navy", "Red", "Olive", "Sand", "Teal"]
    static let sizes = ["XS", "S", "M", "L", "XL"]

    static let tree: [(String, [Leaf])] = [
        ("Electronics", [
            Leaf(name: "Audio", nouns: ["Headphones", "Earbuds", "Speaker", "Soundbar", "Turntable"],
                 adjectives: ["Wireless", "Noise-Cancelling", "Portable", "Studio", "Bluetooth"], options: [("colour", colours)], priceRange: 1_999...39_999, material: ["Aluminium", "Plastic", "Leather"]),
            Leaf(name: "Computers", nouns: ["Laptop", "Keyboard", "Mouse", "Monitor", "Docking Station"],
                 adjectives: ["Ultralight", "Mechanical", "Ergonomic", "Curved", "Compact"], options: [("colour", ["Black", "Silver", "White"])], priceRange: 2_499...189_999, material: ["Aluminium", "Plastic"]),
            Leaf(name: "Phones", nouns: ["Smartphone", "Phone Case", "Charger", "Power Bank"],
                 adjectives: ["Rugged", "Slim", "Fast", "Magnetic"], options: [("colour", colours), ("storage", ["128 GB", "256 GB"])], priceRange: 999...99_999, material: ["Glass", "Silicone"]),
            Leaf(name: "Cameras", nouns: ["Mirrorless Camera", "Action Camera", "Tripod", "Lens"],
                 adjectives: ["Waterproof", "Full-Frame", "Travel", "Pro"], options: [("colour", ["Black", "Silver"])], priceRange: 2_999...249_999, material: ["Magnesium", "Carbon"]),
        ]),
        ("Fashion", [
            Leaf(name: "Men", nouns: ["T-Shirt", "Jacket", "Chinos", "Hoodie", "Shirt"], adjectives: ["Classic", "Organic", "Slim-Fit", "Linen", "Vintage"],
                 options: [("size", sizes), ("colour", colours)], priceRange: 1_499...24_999, material: ["Cotton", "Linen", "Wool"]),
            Leaf(name: "Women", nouns: ["Dress", "Blouse", "Cardigan", "Skirt", "Coat"], adjectives: ["Flowing", "Tailored", "Cosy", "Pleated", "Summer"],
                 options: [("size", sizes), ("colour", colours)], priceRange: 1_999...29_999, material: ["Cotton", "Silk", "Wool"]),
            Leaf(name: "Shoes", nouns: ["Sneakers", "Boots", "Sandals", "Loafers", "Running Shoes"], adjectives: ["Lightweight", "Waterproof", "Leather", "Trail", "Everyday"],
                 options: [("size", ["38", "39", "40", "41", "42", "43", "44"]), ("colour", ["Black", "White", "Sand"])], priceRange: 3_999...21_999, material: ["Leather", "Canvas", "Mesh"]),
            Leaf(name: "Accessories", nouns: ["Backpack", "Wallet", "Watch", "Sunglasses", "Belt"], adjectives: ["Minimal", "Travel", "Classic", "Polarised", "Canvas"],
                 options: [("colour", colours)], priceRange: 999...34_999, material: ["Leather", "Canvas", "Steel"]),
        ]),
        ("Home & Kitchen", [
            Leaf(name: "Furniture", nouns: ["Desk", "Chair", "Bookshelf", "Side Table"], adjectives: ["Standing", "Oak", "Foldable", "Mid-Century"],
                 options: [("finish", ["Oak", "Walnut", "White"])], priceRange: 4_999...89_999, material: ["Oak", "Steel", "Walnut"]),
            Leaf(name: "Kitchen", nouns: ["Chef Knife", "Frying Pan", "Coffee Grinder", "Kettle", "Blender"], adjectives: ["Cast-Iron", "Electric", "Japanese", "Non-Stick", "Burr"],
                 options: [("colour", ["Black", "Steel", "Red"])], priceRange: 1_499...29_999, material: ["Steel", "Cast Iron", "Ceramic"]),
            Leaf(name: "Decor", nouns: ["Lamp", "Vase", "Rug", "Candle", "Wall Clock"], adjectives: ["Handmade", "Scented", "Woven", "Ceramic", "Modern"],
                 options: [("colour", colours)], priceRange: 799...19_999, material: ["Ceramic", "Wool", "Glass"]),
        ]),
        ("Sports & Outdoors", [
            Leaf(name: "Fitness", nouns: ["Yoga Mat", "Dumbbells", "Resistance Bands", "Kettlebell"], adjectives: ["Non-Slip", "Adjustable", "Pro", "Compact"],
                 options: [("weight", ["2 kg", "5 kg", "10 kg"])], priceRange: 1_499...19_999, material: ["Rubber", "Steel", "Cork"]),
            Leaf(name: "Camping", nouns: ["Tent", "Sleeping Bag", "Headlamp", "Camping Stove"], adjectives: ["Ultralight", "Four-Season", "Rechargeable", "Compact"],
                 options: [("colour", ["Olive", "Orange", "Grey"])], priceRange: 1_999...59_999, material: ["Nylon", "Down", "Aluminium"]),
            Leaf(name: "Cycling", nouns: ["Bike Helmet", "Bike Light", "Cycling Jersey", "Bike Lock"], adjectives: ["Aero", "Reflective", "Breathable", "Heavy-Duty"],
                 options: [("size", ["S", "M", "L"])], priceRange: 1_499...24_999, material: ["Polycarbonate", "Lycra", "Steel"]),
        ]),
        ("Books & Media", [
            Leaf(name: "Fiction", nouns: ["Novel", "Short Stories", "Graphic Novel"], adjectives: ["Award-Winning", "Illustrated", "Collected", "Bestselling"],
                 options: [("format", ["Paperback", "Hardcover", "E-book"])], priceRange: 799...3_999, material: ["Paper"]),
            Leaf(name: "Non-fiction", nouns: ["Cookbook", "Travel Guide", "Field Guide", "Biography"], adjectives: ["Essential", "Illustrated", "Complete", "Pocket"],
                 options: [("format", ["Paperback", "Hardcover"])], priceRange: 999...4_999, material: ["Paper"]),
        ]),
    ]
}
