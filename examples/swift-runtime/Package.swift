// swift-tools-version:6.1
// A deployment that runs compiled artifacts and never compiles: it depends on the runtime-only
// `Wasmc` product, so neither LLVM nor the compiler is linked or loaded (scripts/test-embedding
// checks the process's mapped libraries).
import PackageDescription

let package = Package(
    name: "swift-runtime-example",
    platforms: [.macOS(.v15)],
    dependencies: [.package(name: "wasmc", path: "../..")],
    targets: [
        .executableTarget(name: "run-artifact", dependencies: [.product(name: "Wasmc", package: "wasmc")])
    ]
)
