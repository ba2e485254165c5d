// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "umcgtop",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "umcgtop", targets: ["umcgtop"]),
        .library(name: "UMCGSystem", targets: ["UMCGSystem"]),
        .library(name: "UMCGEngine", targets: ["UMCGEngine"]),
        .library(name: "UMCGTrace", targets: ["UMCGTrace"]),
        .library(name: "UMCGAnalysis", targets: ["UMCGAnalysis"]),
        .library(name: "UMCGBench", targets: ["UMCGBench"]),
        .library(name: "UMCGTop", targets: ["UMCGTop"]),
        // libumcg.so: `LD_PRELOAD` it into an unmodified C program to run `umcg_ctl` on stock Linux (#11).
        .library(name: "umcg", type: .dynamic, targets: ["UMCGPreload", "CUMCGPreload"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
        // The /metrics endpoint: exposition (swift-prometheus) and a small HTTP/1.1 server (swift-nio).
        .package(url: "https://github.com/swift-server/swift-prometheus", exact: "2.4.1"),
        .package(url: "https://github.com/apple/swift-nio", exact: "2.101.2"),
        // Wake→run and run-length percentiles within 1%.
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", exact: "0.2.0"),
    ],
    targets: [
        // One C function per system call or macro Swift cannot reach. No logic.
        .target(name: "CUMCGShims"),
        // ncursesw + tinfo, macros turned into inline functions (see shim.h).
        .systemLibrary(name: "CNcurses", path: "Sources/CNcurses"),
        // The only importer of CUMCGShims: syscalls, Errno, futex, clock, CPU, threads, locks, files.
        .target(name: "UMCGSystem", dependencies: ["CUMCGShims"]),
        // The wire: events, rings, the trace file. Knows nothing of the engine or the terminal.
        .target(name: "UMCGTrace", dependencies: ["UMCGSystem"]),
        // One fold of the event stream, shared by the dashboard, the report and the exporters.
        .target(
            name: "UMCGAnalysis",
            dependencies: ["UMCGSystem", "UMCGTrace", .product(name: "Histogram", package: "hdrhistogram-swift")]),
        .target(name: "UMCGEngine", dependencies: ["UMCGSystem", "UMCGTrace"]),
        // Baselines, ping-pongs, the scale bench and the bench harness: measurements, out of the engine.
        .target(name: "UMCGBench", dependencies: ["UMCGSystem", "UMCGTrace", "UMCGEngine"]),
        .target(
            name: "UMCGTop",
            dependencies: [
                "UMCGSystem", "UMCGTrace", "UMCGAnalysis", "UMCGEngine", "UMCGBench", "CNcurses",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]),
        .executableTarget(name: "umcgtop", dependencies: ["UMCGTop"]),
        // The preload library's C side: `umcg_ctl`, the `syscall()` interposer, the blocking-call
        // interposers and the preemption timer. Calls into UMCGPreload through @_cdecl entry points.
        .target(name: "CUMCGPreload", linkerSettings: [.linkedLibrary("dl"), .linkedLibrary("rt")]),
        // The preload library's Swift side: one EmulatedBackend behind @_cdecl entry points. The Swift
        // runtime is linked statically so the library loads into any C program with LD_PRELOAD only.
        .target(
            name: "UMCGPreload", dependencies: ["UMCGEngine", "UMCGSystem", "UMCGTrace", "CUMCGPreload"],
            linkerSettings: [.unsafeFlags(["-static-stdlib"])]),
        // A program running its own workload on the engine, through the public API only.
        .executableTarget(
            name: "EmbeddedCounter", dependencies: ["UMCGEngine", "UMCGTop"], path: "Examples/EmbeddedCounter"),
        .testTarget(name: "UMCGSystemTests", dependencies: ["UMCGSystem"]),
        .testTarget(name: "UMCGTraceTests", dependencies: ["UMCGTrace", "UMCGSystem"]),
        .testTarget(name: "UMCGAnalysisTests", dependencies: ["UMCGAnalysis", "UMCGTrace", "UMCGSystem"]),
        // The engine as a program embeds it: public API only (no @testable).
        .testTarget(name: "UMCGEmbeddingTests", dependencies: ["UMCGEngine", "UMCGTrace"]),
        .testTarget(name: "UMCGEngineTests", dependencies: ["UMCGEngine", "UMCGTrace", "UMCGSystem", "CUMCGShims"]),
        .testTarget(name: "UMCGBenchTests", dependencies: ["UMCGBench", "UMCGEngine", "UMCGTrace", "UMCGSystem"]),
        .testTarget(
            name: "UMCGTopTests",
            dependencies: ["UMCGTop", "UMCGAnalysis", "UMCGBench", "UMCGEngine", "UMCGTrace", "UMCGSystem"],
            exclude: ["Snapshots", "Golden", "c"]),
        // libumcg.so from outside: C programs compiled with cc and run under LD_PRELOAD. No
        // dependency on the preload targets: linking them in would interpose the test runner itself.
        // UMCGTrace (AttachedRegion) reads the published region and interposes nothing.
        .testTarget(name: "UMCGPreloadTests", dependencies: ["UMCGTrace"], exclude: ["c"]),
    ],
    swiftLanguageModes: [.v6]
)
