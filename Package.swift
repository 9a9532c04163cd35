// swift-tools-version:6.1
import Foundation
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

/// How the daemon (and the probe benchmark, built like it) is linked, to keep its resident
/// memory down (README "The whole daemon at 1,000 targets"): the Swift runtime and Foundation
/// linked in (only the code used is mapped, and no shared-library relocations run), lld
/// with packed relative relocations (DT_RELR, glibc 2.36+: 8 bytes per page of pointers
/// instead of 24 per pointer) and no export of every Swift symbol to the dynamic table.
/// At 1,000 targets these took 9 MiB off the daemon's RSS.
/// Sanitizer builds (`make test-sanitizers` sets SWITCHYARD_SANITIZER_BUILD) link it like any other
/// executable: under ThreadSanitizer the statically linked Foundation frees memory the sanitizer's
/// allocator does not own (a CHECK failure in `ProcessInfo.environment`, exit 66, before `main` does anything).
let daemonLinking: [LinkerSetting] = ProcessInfo.processInfo.environment["SWITCHYARD_SANITIZER_BUILD"] != nil ? [] : [
    .unsafeFlags(["-static-stdlib", "-use-ld=lld", "-Xlinker", "-z", "-Xlinker", "pack-relative-relocs",
                  "-Xlinker", "--no-export-dynamic",
                  // What SwiftPM's --static-swift-stdlib also gets from compiling every module against the
                  // static SDK: Foundation's own static dependencies.
                  "-lFoundationEssentials", "-lFoundationInternationalization", "-l_FoundationICU", "-l_FoundationCollections",
                  "-l_FoundationCShims", "-lCoreFoundation", "-lswiftSynchronization", "-lswift_RegexParser",
                  "-lswift_StringProcessing", "-lswiftDispatch"], .when(platforms: [.linux])),
]

let package = Package(
    name: "switchyard",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "switchyard", targets: ["switchyard"]),
        .executable(name: "switchyard-sim", targets: ["switchyard-sim"]),
        .executable(name: "switchyard-routing-lab", targets: ["switchyard-routing-lab"]),
        .executable(name: "switchyard-bench", targets: ["switchyard-bench"]),
        .executable(name: "switchyard-store-bench", targets: ["switchyard-store-bench"]),
        .executable(name: "switchyard-api-bench", targets: ["switchyard-api-bench"]),
        .library(name: "SwitchyardClient", targets: ["SwitchyardClient"]),
        .executable(name: "switchyard-fuzz", targets: ["switchyard-fuzz"]),
        .executable(name: "switchyard-fleet-load", targets: ["switchyard-fleet-load"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.0"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.0"),
        // Already in the graph through Hummingbird; named for NIOHTTPTypes (the API's request-deadline handler).
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.34.1"),
        // The fleet's shared evidence (issue #19): PostgreSQL through its NIO client.
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        // Already in the graph through postgres-nio; named for TLS settings when the fleet's URL asks for TLS.
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.29.0"),
    ],
    targets: [
        // C system libraries (design card): thin module maps, non-variadic shims in the headers.
        // glibc's malloc.h (mallopt), for the daemon's memory settings.
        .systemLibrary(name: "CMalloc"),
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(name: "CSystemd", pkgConfig: "libsystemd", providers: [.apt(["libsystemd-dev"])]),
        // zlib's one-shot compress2/uncompress: stored blocks of observations and rollups are deflated.
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),

        .target(name: "SwitchyardCore", swiftSettings: strict),
        // The API's wire types and compiled-in OpenAPI document, generated from openapi/switchyard.json at build time.
        .executableTarget(name: "switchyard-wiregen", swiftSettings: strict),
        .plugin(name: "WireTypesPlugin", capability: .buildTool(), dependencies: ["switchyard-wiregen"]),
        .target(name: "SwitchyardWire", swiftSettings: strict, plugins: ["WireTypesPlugin"]),
        .target(
            name: "SwitchyardConfig",
            dependencies: ["SwitchyardCore", .product(name: "Yams", package: "Yams")],
            swiftSettings: strict
        ),
        .target(
            name: "SwitchyardStore",
            dependencies: [
                "SwitchyardCore", "CZlib",
                .product(name: "GRDB", package: "GRDB.swift"),
                // The C API, for reading history columns in place on the hot read path.
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        // HTTP over libcurl (the engine, its thread and timers, transfers, the gateway's upstream):
        // no configuration, no service lifecycle, so the Swift client can link it and stay light.
        .target(name: "SwitchyardHTTP", dependencies: ["SwitchyardCore", "CCurl"], swiftSettings: strict),
        // The gateway's transport for plain-HTTP upstreams: HTTP/1.1 on NIO's event loops (libcurl keeps TLS ones).
        .target(
            name: "SwitchyardUpstream",
            dependencies: [
                "SwitchyardCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "SwitchyardProbe",
            dependencies: [
                "SwitchyardCore", "SwitchyardConfig", "SwitchyardHTTP", "CCurl",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "SwitchyardServer",
            dependencies: [
                "SwitchyardCore", "SwitchyardConfig", "SwitchyardWire",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras"),
                .product(name: "NIOExtras", package: "swift-nio-extras"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "SwitchyardSystemd",
            dependencies: ["CSystemd", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict
        ),
        .target(
            name: "SwitchyardClient",
            dependencies: ["SwitchyardCore", "SwitchyardWire", "SwitchyardHTTP", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict
        ),
        .target(
            name: "SwitchyardSimulator",
            dependencies: [
                "SwitchyardCore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        // Fleet (opt-in `fleet:`): hosts share evidence through PostgreSQL; Core knows it only through FleetLink.
        .target(
            name: "SwitchyardFleet",
            dependencies: [
                "SwitchyardCore", "SwitchyardConfig",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "SwitchyardDaemon",
            dependencies: [
                "SwitchyardCore", "SwitchyardConfig", "SwitchyardStore", "SwitchyardProbe",
                "SwitchyardServer", "SwitchyardSystemd", "SwitchyardSimulator", "SwitchyardUpstream", "SwitchyardFleet", "CMalloc",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "switchyard",
            dependencies: [
                "SwitchyardDaemon", "SwitchyardClient", "SwitchyardWire", "SwitchyardConfig", "SwitchyardSimulator",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict,
            linkerSettings: daemonLinking
        ),
        .executableTarget(
            name: "switchyard-sim",
            dependencies: [
                "SwitchyardSimulator",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "switchyard-bench",
            dependencies: [
                "SwitchyardCore", "SwitchyardConfig", "SwitchyardProbe", "SwitchyardServer", "SwitchyardTestSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict,
            linkerSettings: daemonLinking
        ),

        .target(name: "SwitchyardRoutingLab", dependencies: ["SwitchyardCore"], swiftSettings: strict),
        .executableTarget(
            name: "switchyard-routing-lab",
            dependencies: ["SwitchyardRoutingLab", "SwitchyardCore"],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "switchyard-store-bench",
            dependencies: [
                "SwitchyardCore", "SwitchyardStore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        // The API benchmark's keep-alive load client (TCP and Unix socket) and status-page timing (`make bench-api`).
        .executableTarget(
            name: "switchyard-api-bench",
            dependencies: [
                "SwitchyardCore", "SwitchyardServer", "SwitchyardStore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),

        // libFuzzer harnesses for the parsers of untrusted bytes (`make fuzz`); built plainly, a corpus replayer.
        .target(name: "CLibFuzzer"),
        .executableTarget(
            name: "switchyard-fuzz",
            dependencies: [
                "CLibFuzzer", "SwitchyardCore", "SwitchyardConfig", "SwitchyardProbe", "SwitchyardServer", "SwitchyardStore",
                .product(name: "Hummingbird", package: "hummingbird"),
            ],
            swiftSettings: strict
        ),

        .testTarget(name: "SwitchyardCoreTests", dependencies: ["SwitchyardCore"], swiftSettings: strict),
        .testTarget(name: "SwitchyardRoutingLabTests", dependencies: ["SwitchyardRoutingLab"], swiftSettings: strict),
        // Helpers shared by the test targets and the probe benchmark (not a product).
        .target(name: "SwitchyardTestSupport", dependencies: ["SwitchyardCore", .product(name: "Logging", package: "swift-log")], swiftSettings: strict),
        .testTarget(name: "SwitchyardDeployTests", dependencies: ["SwitchyardSystemd", "SwitchyardClient", "SwitchyardTestSupport"], swiftSettings: strict),
        .testTarget(
            name: "SwitchyardConfigTests",
            dependencies: ["SwitchyardConfig"],
            resources: [.copy("Fixtures")],
            swiftSettings: strict
        ),
        .testTarget(name: "SwitchyardStoreTests", dependencies: ["SwitchyardStore", "SwitchyardTestSupport"], swiftSettings: strict),
        .testTarget(
            name: "SwitchyardProbeTests",
            dependencies: ["SwitchyardProbe", "SwitchyardHTTP", "SwitchyardSimulator", "SwitchyardTestSupport"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "SwitchyardUpstreamTests",
            dependencies: ["SwitchyardUpstream", "SwitchyardCore", "SwitchyardSimulator", "SwitchyardTestSupport",
                           .product(name: "NIOPosix", package: "swift-nio"), .product(name: "NIOEmbedded", package: "swift-nio")],
            swiftSettings: strict
        ),
        .testTarget(
            name: "SwitchyardDaemonTests",
            dependencies: ["SwitchyardDaemon", "SwitchyardWire", "SwitchyardClient", "SwitchyardSimulator", "SwitchyardStore", "SwitchyardTestSupport",
                           .product(name: "Yams", package: "Yams")],
            swiftSettings: strict
        ),
        // Route handlers through Hummingbird's router test framework: no sockets, no daemon.
        .testTarget(
            name: "SwitchyardServerTests",
            dependencies: ["SwitchyardServer", "SwitchyardWire", "SwitchyardCore", "SwitchyardConfig", "SwitchyardStore", "SwitchyardTestSupport",
                           .product(name: "Hummingbird", package: "hummingbird"),
                           .product(name: "HummingbirdTesting", package: "hummingbird"),
                           .product(name: "HTTPTypes", package: "swift-http-types"),
                           .product(name: "Logging", package: "swift-log"),
                           .product(name: "NIOCore", package: "swift-nio"),
                           .product(name: "NIOEmbedded", package: "swift-nio"),
                           .product(name: "NIOHTTPTypes", package: "swift-nio-extras")],
            swiftSettings: strict
        ),
        .testTarget(
            name: "SwitchyardFleetTests",
            dependencies: ["SwitchyardFleet", "SwitchyardDaemon", "SwitchyardConfig", "SwitchyardCore", "SwitchyardTestSupport",
                           "SwitchyardWire", "SwitchyardSimulator",
                           .product(name: "PostgresNIO", package: "postgres-nio"),
                           .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict
        ),
        // The fleet's PostgreSQL under simulated hosts (README "Fleet load"): the driver's parts, and its command.
        .target(
            name: "SwitchyardFleetLoad",
            dependencies: ["SwitchyardCore", "SwitchyardConfig", "SwitchyardFleet", "SwitchyardTestSupport",
                           .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict
        ),
        .executableTarget(name: "switchyard-fleet-load", dependencies: ["SwitchyardFleetLoad"], swiftSettings: strict),
        .testTarget(name: "SwitchyardFleetLoadTests", dependencies: ["SwitchyardFleetLoad"], swiftSettings: strict),
        .testTarget(
            name: "SwitchyardClientTests",
            dependencies: ["SwitchyardClient", "SwitchyardWire", "SwitchyardDaemon", "SwitchyardConfig", "SwitchyardSimulator", "SwitchyardCore", "SwitchyardTestSupport"],
            swiftSettings: strict
        ),
    ]
)
