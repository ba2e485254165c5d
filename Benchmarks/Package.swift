// swift-tools-version: 6.1
import PackageDescription

import struct Foundation.URL

// SwiftPM names a path dependency after its folder (a clone may be called anything),
// so derive the main package's identity from where this manifest lives.
let mainPackage = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().lastPathComponent.lowercased()

// Micro-benchmarks for umcgtop (ordo-one/benchmark). Kept out of the main package so that
// `swift test` there never builds the benchmark framework. Run: `swift package benchmark`.
/// One benchmark suite: an executable under Benchmarks/<name>/ that the BenchmarkPlugin discovers.
func benchmarkTarget(_ name: String) -> Target {
    .executableTarget(
        name: name,
        dependencies: [
            "BenchmarkSupport",
            .product(name: "Benchmark", package: "benchmark"),
            .product(name: "UMCGTrace", package: mainPackage),
            .product(name: "UMCGTop", package: mainPackage),
        ],
        path: "Benchmarks/\(name)",
        plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
    )
}

let package = Package(
    name: "umcgtop-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", exact: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        // Synthetic traces and the shared benchmark configuration.
        .target(
            name: "BenchmarkSupport",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "UMCGTrace", package: mainPackage),
            ],
            path: "Support"
        ),
        benchmarkTarget("RingBenchmarks"),
        benchmarkTarget("TraceFileBenchmarks"),
        benchmarkTarget("AggregatorBenchmarks"),
        benchmarkTarget("DashboardBenchmarks"),
    ],
    swiftLanguageModes: [.v6]
)
