// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "umcgtop",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "umcgtop", targets: ["umcgtop"]),
        .library(name: "UMCGEngine", targets: ["UMCGEngine"]),
        .library(name: "UMCGTrace", targets: ["UMCGTrace"]),
        .library(name: "UMCGTop", targets: ["UMCGTop"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2")
    ],
    targets: [
        // One C function per system call or macro Swift cannot reach. No logic.
        .target(name: "CUMCGShims"),
        // ncursesw + tinfo, macros turned into inline functions (see shim.h).
        .systemLibrary(name: "CNcurses", path: "Sources/CNcurses"),
        .target(name: "UMCGTrace"),
        .target(name: "UMCGEngine", dependencies: ["UMCGTrace", "CUMCGShims"]),
        .target(
            name: "UMCGTop",
            dependencies: [
                "UMCGTrace", "UMCGEngine", "CNcurses", "CUMCGShims",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .executableTarget(name: "umcgtop", dependencies: ["UMCGTop"]),
        .testTarget(name: "UMCGTraceTests", dependencies: ["UMCGTrace"]),
        .testTarget(name: "UMCGEngineTests", dependencies: ["UMCGEngine", "UMCGTrace", "CUMCGShims"]),
        .testTarget(
            name: "UMCGTopTests", dependencies: ["UMCGTop", "UMCGEngine", "UMCGTrace"],
            exclude: ["Snapshots"]),
    ],
    swiftLanguageModes: [.v6]
)
