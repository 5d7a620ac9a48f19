// wasmc-compiler: the whole CLI (compile WebAssembly to native shared objects, and run them),
// which the runtime-only `wasmc` launcher (Sources/WasmcLauncher) hands whatever needs the
// compiler.
import ArgumentParser
import Foundation
import Wasmc
import WasmcCLICore
import WasmcCompiler
import WasmcBackend
import WasmcModule
import WAT

enum OptimizationLevel: String, EnumerableFlag {
    case O0, O1, O2, O3

    static func name(for value: OptimizationLevel) -> NameSpecification {
        .customLong(value.rawValue, withSingleDash: true)
    }

    var number: Int { Int(rawValue.dropFirst())! }
}

extension CompileOptions.BoundsChecks: ExpressibleByArgument {}
extension CompileOptions.Output: ExpressibleByArgument {}

struct CodegenOptions: ParsableArguments {
    @Flag(help: "Optimization level: -O0 none; -O1 a scalar clean-up and fast instruction selection, to compile quickly; -O2 (default) for wasm its producer optimized, loops vectorized for the target; -O3 LLVM's whole pipeline, for wasm its producer did not optimize.")
    var optimization: OptimizationLevel = .O2

    @Option(name: .customLong("bounds-checks"), help: "guard: guard pages and signals (default); explicit: compare every access.")
    var boundsChecks: CompileOptions.BoundsChecks = .guardPages

    @Option(
        help: ArgumentHelp(
            "The machine to compile for: x86_64-linux-gnu, aarch64-linux-gnu or riscv64-linux-gnu (full LLVM triples such as aarch64-unknown-linux-gnu too; default: the host). Another architecture defaults to its oldest CPU: generic (aarch64), generic-rv64 with rv64gc (riscv64; add RVV with --cpu-features +v), x86-64.",
            valueName: "triple"))
    var target: String?

    @Option(
        help: ArgumentHelp(
            "The CPU to compile for: an LLVM CPU name such as x86-64, x86-64-v2, x86-64-v3, x86-64-v4, generic or znver3, or native (default: the host's CPU with all its features).",
            valueName: "name"))
    var cpu: String?

    @Option(
        name: .customLong("cpu-features"), parsing: .unconditional,
        help: ArgumentHelp(
            "CPU features to add (+name) or remove (-name), comma-separated LLVM names, on top of the CPU's own (e.g. +avx2,-fma).",
            valueName: "list"))
    var cpuFeatures: String?

    @Option(
        name: [.short, .long],
        help: ArgumentHelp(
            "How many threads may optimize and generate machine code for the parts of a large module (default: one per core). The generated code does not depend on it.",
            valueName: "n"))
    var jobs: Int?

    @Option(
        name: .customLong("part-size"),
        help: ArgumentHelp(
            "Compile the module in parts of about this many bytes of code, each on a thread (default: by the module's size; small modules whole). The code of each function does not depend on it.",
            valueName: "bytes"))
    var partSize: Int?

    @Flag(help: "Make the code count how often each function and loop runs, for `wasmc run --write-profile`.")
    var instrument = false

    @Option(
        help: ArgumentHelp(
            "A profile written by `wasmc run --write-profile`: the functions that did 99.9% of the counted work (--hot-share) are compiled at the -O level, the others at -O0, which shortens the compile.",
            valueName: "file"))
    var profile: String?

    @Option(
        name: .customLong("hot-share"),
        help: ArgumentHelp(
            "With --profile: the share of the counted work (above 0, at most 1) that the functions compiled at the -O level did at least (default 0.999; lower compiles faster, the rest of the code runs at -O0).",
            valueName: "fraction"))
    var hotShare: Double = Profile.defaultHotShare

    @Option(
        help: ArgumentHelp(
            "The WebAssembly version the module is checked against: 3.0 (default: the 3.0 proposals wasmc implements) or 2.0 (2.0's rules exactly).",
            valueName: "version"))
    var wasm: String = "3.0"

    @Flag(help: "Show no progress for a long compile (shown on a terminal after a second, on standard error).")
    var quiet = false

    /// Whether --target lists several machines (a bundle).
    var isBundle: Bool { (target ?? "").contains(",") }

    /// The machines a bundle is compiled for: --target's TRIPLE[:CPU] entries, comma-separated.
    /// An entry without a CPU takes --cpu's for its architecture (--cpu ARCH:NAME,...) or else
    /// the architecture's oldest CPU (not the host's: a bundle travels); --cpu-features
    /// ARCH:LIST applies to that architecture's entries. An unknown name ends the program.
    var bundleTargets: [Target] {
        func architecture(_ triple: String) -> String { String(triple.prefix { $0 != "-" }) }
        var cpus: [String: String] = [:]
        for entry in (cpu ?? "").split(separator: ",") {
            let parts = entry.split(separator: ":", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { fail("--cpu \(entry): with several targets, give each as ARCH:CPU (x86_64:x86-64-v3)", status: 1) }
            cpus[Target.architectures[parts[0]] ?? parts[0]] = parts[1]
        }
        var features: (arch: String, list: String)?
        if let cpuFeatures {
            let parts = cpuFeatures.split(separator: ":", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { fail("--cpu-features \(cpuFeatures): with several targets, give it as ARCH:LIST (x86_64:+avx2)", status: 1) }
            features = (Target.architectures[parts[0]] ?? parts[0], parts[1])
        }
        return (target ?? "").split(separator: ",").map { entry in
            let parts = entry.split(separator: ":", maxSplits: 1).map(String.init)
            do {
                let triple = try Target.normalize(parts[0])
                let arch = architecture(triple)
                return try Target.resolve(
                    triple: triple, cpu: parts.count > 1 ? parts[1] : cpus[arch] ?? Target.defaultCPU(triple),
                    features: features?.arch == arch ? features?.list : nil)
            } catch {
                fail("--target \(entry): \(error)", status: 1)
            }
        }
    }

    /// The options for the compiler; an unknown CPU or feature name, or a profile that cannot be
    /// read, ends the program (status 1).
    var compileOptions: CompileOptions {
        var target: Target?
        if !isBundle {
            do {
                // TRIPLE:CPU names the CPU too (as in a bundle's list).
                let parts = self.target?.split(separator: ":", maxSplits: 1).map(String.init)
                if let parts, parts.count == 2, cpu != nil { fail("--target \(self.target!) names a CPU, and so does --cpu", status: 1) }
                target = try Target.resolve(triple: parts?[0], cpu: parts?.count == 2 ? parts?[1] : cpu, features: cpuFeatures)
            } catch {
                fail("\(error)", status: 1)
            }
        }
        if let jobs, jobs < 1 { fail("--jobs must be at least 1, not \(jobs)", status: 1) }
        if let partSize, partSize < 1 { fail("--part-size must be at least 1, not \(partSize)", status: 1) }
        guard let features = WasmFeatures(version: wasm) else { fail("--wasm takes 2.0 or 3.0, not \(wasm)", status: 1) }
        var options = CompileOptions(
            optimizationLevel: optimization.number, boundsChecks: boundsChecks, target: target, threads: jobs,
            instrument: instrument, profile: profile.map(readProfile), hotShare: hotShare)
        options.features = features
        options.partSize = partSize
        options.applyEnvironment(ProcessInfo.processInfo.environment)
        return options
    }
}

@main
struct WasmcCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wasmc",
        abstract: "Ahead-of-time compiler from WebAssembly to native shared objects.",
        subcommands: [Compile.self, Run.self, Inspect.self, Extract.self, Keygen.self, Sign.self, Encrypt.self, Cache.self])
}

struct Cache: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show or empty the compile cache that `wasmc run` keeps compiled modules in.",
        discussion: """
            The cache is $WASMC_CACHE_DIR, else $XDG_CACHE_HOME/wasmc, else ~/.cache/wasmc; \
            $WASMC_CACHE_SIZE (MiB, default 4096) bounds it, the least recently used entries going \
            first. An entry is keyed by the module's hash, the options, the target and the compiler \
            build, so a changed module or compiler never gets a stale entry.
            """)

    @Argument(help: "info (default): where the cache is and what it holds; clean: remove every entry.")
    var action: String = "info"

    func run() throws {
        guard let cache = CompileCache.standard(environment: ProcessInfo.processInfo.environment) else {
            fail("no cache directory: set HOME, XDG_CACHE_HOME or WASMC_CACHE_DIR", status: 1)
        }
        switch action {
        case "info":
            let entries = cache.entries()
            let bytes = entries.reduce(0) { $0 + $1.bytes }
            print("directory: \(cache.directory)")
            print("entries: \(entries.count), \(Self.megabytes(bytes)) of at most \(Self.megabytes(cache.sizeLimit))")
        case "clean":
            let count = cache.entries().count
            cache.clean()
            print("removed \(count) entries from \(cache.directory)")
        default:
            fail("cache takes info or clean, not \(action)", status: 1)
        }
    }

    static func megabytes(_ bytes: UInt64) -> String {
        String(format: "%.1f MiB", Double(bytes) / 1_048_576)
    }
}

struct Compile: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Compile a .wasm module to a .so.")

    @Argument(help: ArgumentHelp(
        "The WebAssembly module: binary (.wasm) or text (.wat); - reads a binary module from standard input.",
        discussion: "A binary module is compiled as it is read: its code while its data segments are still arriving."))
    var input: String

    @Option(name: .shortAndLong, help: "The shared object to write.")
    var output: String

    @Option(help: "What to write: so (default), obj (before linking), asm, or ir (LLVM IR after optimization).")
    var emit: CompileOptions.Output = .sharedObject

    @Option(name: .customLong("data"), help: ArgumentHelp(
        "Write the data segments' bytes to this file instead of into the .so, which looks for it beside itself (one data file serves every target's .so).",
        valueName: "file.wdata"))
    var dataFile: String?

    @Option(name: .customLong("embed-dir"), help: ArgumentHelp(
        "A host directory to carry in the artifact, which a WASI program of it sees read-only as GUEST (repeatable).",
        valueName: "host[::guest]"))
    var embeddedDirectories: [String] = []

    @Option(name: .customLong("link"), help: ArgumentHelp(
        "A module to link into this one: the imports from module NAME are bound to its exports, and the artifact is one module made of both (repeatable; linked modules may import from each other by their names).",
        valueName: "name=file"))
    var links: [String] = []

    @OptionGroup var codegen: CodegenOptions

    @Flag(help: "Print how long each phase took (to standard error).")
    var time = false

    func run() throws {
        var options = codegen.compileOptions
        options.output = emit
        options.dataFile = dataFile
        for directory in embeddedDirectories {
            let (host, guest) = hostAndGuest(directory, option: "--embed-dir")
            options.embeddedDirectories.append(EmbeddedDirectory(host: host, guest: guest))
        }
        let module = openInput(input)
        let linked = links.map { text -> Compiler.LinkInput in
            guard let equals = text.firstIndex(of: "="), equals != text.startIndex, text.index(after: equals) != text.endIndex else {
                fail("--link \(text): expected NAME=FILE", status: 1)
            }
            let name = String(text[..<equals]), file = String(text[text.index(after: equals)...])
            guard file != "-" else { fail("--link \(text): a linked module is read from a file, not standard input", status: 1) }
            return Compiler.LinkInput(name: name, input: openInput(file))
        }
        let display = ProgressDisplay.forCompile(of: input, quiet: codegen.quiet)
        options.progress = display?.reporter
        if codegen.isBundle {
            let targets = codegen.bundleTargets
            do {
                let reports = try Compiler(options: options).compileBundle(
                    readInput(input == "-" ? "/dev/stdin" : input), name: module.name,
                    linking: links.map { text in
                        let parts = text.split(separator: "=", maxSplits: 1).map(String.init)
                        return (parts[0], readInput(parts[1]))
                    },
                    targets: targets, to: output)
                display?.finish()
                for report in reports { for warning in report.warnings { FileHandle.standardError.write(Data("wasmc: warning: \(warning)\n".utf8)) } }
                if time { for (target, report) in zip(targets, reports) { FileHandle.standardError.write(Data("\(module.name) (\(target.triple)): \(report)\n".utf8)) } }
            } catch {
                display?.finish()
                fail("\(module.name): \(error)", status: 1)
            }
            return
        }
        do {
            let report = try Compiler(options: options).compile(module, linking: linked, to: output)
            for warning in report.warnings { FileHandle.standardError.write(Data("wasmc: warning: \(warning)\n".utf8)) }
            display?.finish()
            if time { FileHandle.standardError.write(Data("\(module.name): \(report)\n".utf8)) }
        } catch {
            display?.finish()
            fail("\(module.name): \(error)", status: 1)
        }
    }
}

struct Run: ParsableCommand {
    static let configuration = RunOptions.configuration

    @OptionGroup var options: RunOptions

    @Flag(name: .customLong("no-cache"), help: "Compile a .wasm even when the compile cache has it (see `wasmc cache`), and do not store it there.")
    var noCache = false

    @OptionGroup var codegen: CodegenOptions

    func run() throws {
        if !options.isArtifact && options.engine == .interp {
            fail("\(options.file): --engine interp runs the wasm a compiled artifact carries; compile it first (wasmc compile)", status: 1)
        }
        options.run(options.isArtifact ? options.load() : compile())
    }

    /// The .wasm or .wat `file` compiled on the fly (from the compile cache when it has it).
    private func compile() -> CompiledModule {
        let file = options.file
        if options.dataFile != nil {
            fail("--data names the data file of a .so; \(file) is compiled on the fly with its data", status: 1)
        }
        // Under a trust policy, a module is signed like an artifact (a signed .wasm is still one).
        if let policy = options.trustPolicy() {
            guard !file.hasSuffix(".wat"), let data = FileManager.default.contents(atPath: file) else {
                fail("\(file): refused: a trust policy is set, and only a signed .so or .wasm can satisfy it", status: 1)
            }
            do {
                try data.withUnsafeBytes { try policy.check($0, name: file) }
            } catch {
                fail((error as? WasmcError)?.message ?? "\(error)", status: 1)
            }
        }
        var compileOptions = codegen.compileOptions
        if options.writeProfile != nil { compileOptions.instrument = true }
        let display = ProgressDisplay.forCompile(of: file, quiet: codegen.quiet)
        compileOptions.progress = display?.reporter
        defer { display?.finish() }
        let result = Result { () throws(WasmcError) -> CompiledModule in
            try CompiledModule(
                wasm: readInput(file), options: compileOptions,
                cache: noCache ? nil : CompileCache.standard(environment: ProcessInfo.processInfo.environment))
        }
        switch result {
        case .success(let module): return module
        case .failure(let error): options.report(error)
        }
    }
}

/// A module to compile as it is read: a binary module from its file, or from standard input
/// for `-`; a `.wat` text module read and encoded first.
func openInput(_ path: String) -> ModuleInput {
    if path == "-" { return ModuleInput(descriptor: 0, name: "standard input") }
    if path.hasSuffix(".wat") { return ModuleInput(bytes: readInput(path), name: path) }
    // The descriptor stays open until the process ends, as the compile reads it to its end.
    let descriptor = open(path, O_RDONLY | O_CLOEXEC)
    guard descriptor >= 0 else { fail("cannot read \(path): \(String(cString: strerror(errno)))", status: 1) }
    return ModuleInput(descriptor: descriptor, name: path)
}

/// The module's bytes: a binary module as is, a `.wat` text module encoded first.
func readInput(_ path: String) -> [UInt8] {
    guard let data = FileManager.default.contents(atPath: path) else {
        fail("cannot read \(path)", status: 1)
    }
    guard path.hasSuffix(".wat") else { return [UInt8](data) }
    do {
        return try wat2wasm(String(decoding: data, as: UTF8.self))
    } catch {
        fail("\(path): \(error)", status: 1)
    }
}
