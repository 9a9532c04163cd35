import Foundation

// switchyard-wiregen OPENAPI_JSON OUTPUT_DIRECTORY
// Run by the WireTypes build plugin: writes the API's wire types (WireTypes.swift) and the
// compiled-in document (OpenAPIDocument.swift) from openapi/switchyard.json. Foundation only,
// so a fresh clone builds it in seconds (README "Wire types").

let arguments = CommandLine.arguments
guard arguments.count == 3 else {
    FileHandle.standardError.write(Data("usage: switchyard-wiregen OPENAPI_JSON OUTPUT_DIRECTORY\n".utf8))
    exit(2)
}
let documentURL = URL(fileURLWithPath: arguments[1])
let outputURL = URL(fileURLWithPath: arguments[2], isDirectory: true)

do {
    let bytes = try Data(contentsOf: documentURL)
    let text = String(decoding: bytes, as: UTF8.self)
    guard let document = try JSONSerialization.jsonObject(with: bytes) as? [String: Any],
          let components = document["components"] as? [String: Any],
          let schemas = components["schemas"] as? [String: Any] else {
        throw GeneratorError("\(documentURL.path): no components.schemas")
    }
    let types = try WireTypeWriter(schemas: schemas).render()
    try types.write(to: outputURL.appendingPathComponent("WireTypes.swift"), atomically: true, encoding: .utf8)
    try DocumentWriter.render(text).write(to: outputURL.appendingPathComponent("OpenAPIDocument.swift"), atomically: true, encoding: .utf8)
} catch {
    FileHandle.standardError.write(Data("switchyard-wiregen: \(error)\n".utf8))
    exit(1)
}
