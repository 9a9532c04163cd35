/// A schema the generator cannot turn into a Swift type, or a document it cannot read.
struct GeneratorError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
