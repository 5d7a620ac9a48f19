// swift-tools-version:6.1
// wasmc: an ahead-of-time WebAssembly → native shared object compiler built on LLVM 19.
//
// Data flow, one target per stage:
//   WasmcModule      bytes → ModuleInfo (sections via WasmKit's WasmParser, bodies via our own decoder); several linked into one (Link/)
//   WasmcValidation  ModuleInfo + function bodies → validated (WebAssembly 2.0 rules)
//   WasmcCodegen     validated module → LLVM IR (VM layout, per-family instruction emitters)
//   WasmcBackend     LLVM IR → object file → .so (target machine, passes, ld.lld-19)
//   WasmcRuntime     (C, Runtime/) what a .so needs at run time: memories, traps, tables, linking, WASI
//   Wasmc            Swift shim: load a .so, instantiate it (with WASI), call exports; no compiler,
//                    no LLVM (the product a deployment depends on)
//   WasmcCompiler    Wasmc plus compiling from wasm bytes (CompiledModule(wasm:)), through WasmcBackend
//   WasmcProfile     the profile format, which compiled code writes and the compiler reads
//   WasmcLauncher    `wasmc`: runs and inspects .so files with the runtime alone, hands the rest to
//   WasmcCLI         `wasmc-compiler`, the whole CLI (WasmcCLICore: the commands both have)
import PackageDescription

/// The C++ targets that use LLVM's C++ API: its headers (through CLLVM) and the macros they need.
let llvmCXXSettings: [CXXSetting] = [
    .headerSearchPath("../CLLVM/include"),
    .define("__STDC_CONSTANT_MACROS"), .define("__STDC_FORMAT_MACROS"), .define("__STDC_LIMIT_MACROS"),
]

let package = Package(
    name: "wasmc",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "wasmc", targets: ["WasmcLauncher"]),
        .executable(name: "wasmc-compiler", targets: ["WasmcCLI"]),
        .executable(name: "wasmc-spec-test", targets: ["WasmcSpecTest"]),
        .executable(name: "wasmc-bench", targets: ["WasmcBench"]),
        .library(name: "Wasmc", targets: ["Wasmc"]),
        .library(name: "WasmcCompiler", targets: ["WasmcCompiler"]),
    ],
    dependencies: [
        .package(url: "https://github.com/swiftwasm/WasmKit", from: "0.4.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
    ],
    targets: [
        // LLVM 19's C API (Debian's llvm-19-dev). See ../shared/docs/TOOLCHAIN.md.
        .target(
            name: "CLLVM",
            linkerSettings: [.linkedLibrary("LLVM-19")]
        ),
        // What the C API lacks: LLVM's CPU and feature tables (C++ MCSubtargetInfo behind C calls).
        .target(
            name: "CLLVMSubtarget",
            cxxSettings: llvmCXXSettings,
            linkerSettings: [.linkedLibrary("LLVM-19")]
        ),
        // wasmc's own LLVM passes and the -O1..-O3 pipeline that runs them (C++ behind a C call).
        .target(
            name: "CLLVMPasses",
            cxxSettings: llvmCXXSettings,
            linkerSettings: [.linkedLibrary("LLVM-19")]
        ),
        .target(
            name: "WasmcModule",
            dependencies: [.product(name: "WasmParser", package: "WasmKit")]
        ),
        .target(
            name: "WasmcValidation",
            dependencies: ["WasmcModule", .product(name: "WasmParser", package: "WasmKit")]
        ),
        .target(
            name: "WasmcCodegen",
            dependencies: [
                "WasmcModule", "CLLVM", "CLLVMPasses", "WasmcRuntime", .product(name: "WasmParser", package: "WasmKit"),
            ]
        ),
        .target(
            name: "WasmcBackend",
            dependencies: [
                "WasmcModule", "WasmcValidation", "WasmcCodegen", "CLLVM", "CLLVMSubtarget", "CLLVMPasses", "WasmcRuntime",
                "WasmcProfile", "CZlib",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // The C runtime: the ABI contract header and the small library behind it.
        .target(
            name: "WasmcRuntime",
            path: "Runtime",
            exclude: ["README.md", "tools", "python"],
            sources: ["src"],
            publicHeadersPath: "include",
            cSettings: [.define("_GNU_SOURCE")],
            linkerSettings: [.linkedLibrary("dl"), .linkedLibrary("pthread")]
        ),
        .target(name: "WasmcProfile"),
        .target(
            name: "Wasmc",
            dependencies: [
                "WasmcRuntime", "WasmcProfile", "CZlib", .product(name: "Crypto", package: "swift-crypto"),
                // The interpreter that runs an artifact's wasm where its native code cannot run.
                .product(name: "WasmKit", package: "WasmKit"),
            ]
        ),
        // zlib: the wasm inside every artifact is deflated (wasmc_abi.h, "The wasm inside").
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", providers: [.apt(["zlib1g-dev"])]),
        .target(
            name: "WasmcCompiler",
            dependencies: ["Wasmc", "WasmcModule", "WasmcBackend"]
        ),
        // The CLI: `wasmc` (WasmcLauncher) runs .so files with the runtime alone and hands the
        // rest to `wasmc-compiler` (WasmcCLI); the commands both have live in WasmcCLICore.
        .target(
            name: "WasmcCLICore",
            dependencies: ["Wasmc", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .executableTarget(
            name: "WasmcLauncher",
            dependencies: ["WasmcCLICore", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            // The Swift libraries linked in: no dynamic symbol binding of libswiftCore and
            // Foundation at start-up, 3.4 ms instead of 4.5-6.3 ms for an empty module
            // (Benchmarks/results/startup.md).
            linkerSettings: [.unsafeFlags(["-static-stdlib", "-l_FoundationCShims", "-l_FoundationCollections"])]
        ),
        .executableTarget(
            name: "WasmcCLI",
            dependencies: [
                "WasmcCLICore", "WasmcCompiler", .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "WAT", package: "WasmKit"),
            ]
        ),
        .executableTarget(
            name: "WasmcSpecTest",
            dependencies: ["WasmcCompiler", .product(name: "WAT", package: "WasmKit")]
        ),
        // The benchmark worker (Benchmarks/bench.py drives it): wasmc, WasmKit and native engines.
        .executableTarget(
            name: "WasmcBench",
            dependencies: [
                "WasmcCompiler", .product(name: "WasmKit", package: "WasmKit"), .product(name: "WAT", package: "WasmKit"),
            ],
            path: "Benchmarks/Harness"
        ),
        .testTarget(
            name: "WasmcValidationTests",
            dependencies: ["WasmcValidation", .product(name: "WAT", package: "WasmKit")]
        ),
        .testTarget(
            name: "WasmcTests",
            dependencies: ["WasmcCompiler", "WasmcCodegen", "WasmcRuntime", .product(name: "WAT", package: "WasmKit")]
        ),
    ],
    cxxLanguageStandard: .cxx17
)
