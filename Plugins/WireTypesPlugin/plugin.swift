import Foundation
import PackagePlugin

/// Generates the target's wire types and compiled-in document from openapi/switchyard.json on
/// every build where the document changed (switchyard-wiregen; README "Wire types").
@main
struct WireTypesPlugin: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: any Target) throws -> [Command] {
        let document = context.package.directoryURL.appending(path: "openapi/switchyard.json")
        let output = context.pluginWorkDirectoryURL
        return [
            .buildCommand(
                displayName: "Generating wire types from openapi/switchyard.json",
                executable: try context.tool(named: "switchyard-wiregen").url,
                arguments: [document.path(percentEncoded: false), output.path(percentEncoded: false)],
                inputFiles: [document],
                outputFiles: [output.appending(path: "WireTypes.swift"), output.appending(path: "OpenAPIDocument.swift")]
            ),
        ]
    }
}
