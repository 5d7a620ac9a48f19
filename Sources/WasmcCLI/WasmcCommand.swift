// wasmc: compile WebAssembly to native shared objects, and run them.
import ArgumentParser
import Foundation
import Wasmc
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

    /// The options for the compiler; an unknown CPU or feature name, or a profile that cannot be
    /// read, ends the program (status 1).
    var compileOptions: CompileOptions {
        let target: Target
        do {
            target = try Target.resolve(triple: self.target, cpu: cpu, features: cpuFeatures)
        } catch {
            fail("\(error)", status: 1)
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

/// Reads a profile file; a missing or malformed one ends the program (status 1).
func readProfile(_ path: String) -> Profile {
    do {
        return try Profile(file: path)
    } catch {
        fail("\(error)", status: 1)
    }
}

/// Prints a one-line error and exits with `status`.
func fail(_ message: String, status: Int32) -> Never {
    FileHandle.standardError.write(Data("wasmc: \(message)\n".utf8))
    Foundation.exit(status)
}

@main
struct WasmcCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wasmc",
        abstract: "Ahead-of-time compiler from WebAssembly to native shared objects.",
        subcommands: [Compile.self, Run.self, Inspect.self, Cache.self])
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

/// A directory as `--dir` and `--embed-dir` take it: HOST, or HOST::GUEST to show it under
/// another name.
func hostAndGuest(_ text: String, option: String) -> (host: String, guest: String) {
    let parts = text.components(separatedBy: "::")
    guard parts.count <= 2, !parts[0].isEmpty, parts.count == 1 || !parts[1].isEmpty else {
        fail("\(option) \(text): expected HOST or HOST::GUEST", status: 1)
    }
    return (parts[0], parts.count == 2 ? parts[1] : parts[0])
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

/// What `Run` does before the program ends: write the profile (set once, before the run).
nonisolated(unsafe) private var atExit: (() -> Void)?

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a WASI program, or call an exported function, of a .wasm (compiled on the fly) or a .so.",
        discussion: """
            Without --invoke, runs the program's _start with WASI (wasi_snapshot_preview1) and exits \
            with its exit status; arguments after the file (put them after -- when they look like \
            options) are the program's argv[1...]. The program sees only the directories given \
            with --dir, and only the environment given with --env. Its output is not buffered.

            With --invoke, calls the export and prints each result on its own line: i32/i64 in \
            signed decimal, f32/f64 as the shortest decimal that reads back to the same bits (nan, \
            nan:0xPAYLOAD, inf, -inf, -0 spelled out), v128 as i32x4:A,B,C,D (lanes in signed \
            decimal, lane 0 first). Arguments are written the same way; a v128 argument may use \
            any lane shape: i8x16:..., i16x8:..., i32x4:..., i64x2:..., f32x4:..., f64x2:... (one \
            value per lane); a reference argument (funcref, externref, exnref) can only be \
            null, written null. A module that imports WASI gets it here too.

            A trap prints "wasm trap: <reason>" on stderr and exits with status 134; so does \
            an exception no wasm code catches, as "wasm exception: uncaught, tag <name> \
            (<payload>)", the tag named as the module exports or imports it.
            """)

    @Argument(help: "A .wasm or .wat module (compiled on the fly), or a .so compiled by wasmc.")
    var file: String

    @Option(help: "The exported function to call instead of running _start.")
    var invoke: String?

    @Option(name: .customLong("data"), help: ArgumentHelp(
        "The .so's data file (`wasmc compile --data`), when it is not beside the .so under the name it was written with.",
        valueName: "file.wdata"))
    var dataFile: String?

    @Option(name: .customLong("dir"), help: ArgumentHelp(
        "A host directory the program may use: HOST, or HOST::GUEST to show it under another name (repeatable).",
        valueName: "host[::guest]"))
    var directories: [String] = []

    @Option(name: .customLong("env"), help: ArgumentHelp("An environment variable for the program (repeatable).", valueName: "key=value"))
    var environment: [String] = []

    @Option(
        name: .customLong("write-profile"),
        help: ArgumentHelp(
            "When the run ends (also by a trap or proc_exit), write the execution counts of a module compiled with --instrument to this file, adding to the counts it holds if it is a profile of the same module (a .wasm is compiled with --instrument for it).",
            valueName: "file"))
    var writeProfile: String?

    @Flag(name: .customLong("no-cache"), help: "Compile a .wasm even when the compile cache has it (see `wasmc cache`), and do not store it there.")
    var noCache = false

    @Argument(parsing: .allUnrecognized, help: "With --invoke: the function's arguments, one per parameter. Otherwise: the program's arguments.")
    var arguments: [String] = []

    @OptionGroup var codegen: CodegenOptions

    /// `arguments` without the first `--`, which only ends wasmc's own options.
    private var operands: [String] {
        var operands = arguments
        if let terminator = operands.firstIndex(of: "--") { operands.remove(at: terminator) }
        return operands
    }

    func run() throws {
        let module = load()
        if let writeProfile {
            guard module.profile != nil else {
                fail("\(file): --write-profile needs a module compiled with --instrument", status: 1)
            }
            // Checked before the run, which may take long: the file is one this run can add to.
            if FileManager.default.fileExists(atPath: writeProfile) { _ = existingProfile(writeProfile, of: module) }
            let path = writeProfile
            atExit = { Self.saveProfile(module, to: path) }
        }
        let wasi = module.imports.contains { $0.module == "wasi_snapshot_preview1" } || invoke == nil ? makeWASI(for: module) : nil
        let instance = instantiate(module, wasi: wasi)
        guard let invoke else {
            do {
                exit(try wasi!.run(instance))
            } catch let trap as Trap {
                trapped(trap)
            } catch let exception as WasmException {
                uncaught(exception, in: instance)
            } catch {
                fail("\(file): \(error)", status: 1)
            }
        }
        guard let function = instance.function(invoke) else {
            fail("\(file): no exported function named \"\(invoke)\"", status: 1)
        }
        let args: [Value]
        do {
            args = try parseArguments(operands, function.type.parameters)
        } catch {
            fail("\(error)", status: 1)
        }
        do {
            for value in try function.call(args) { print(ValueText.format(value)) }
        } catch let trap as Trap {
            if trap == .hostError, let code = wasi?.exitCode { exit(code) }
            trapped(trap)
        } catch let exception as WasmException {
            uncaught(exception, in: instance)
        } catch {
            fail("\(error)", status: 1)
        }
        exit(0)
    }

    /// Ends the program with `status`, writing the profile first if asked to.
    private func exit(_ status: Int32) -> Never {
        atExit?()
        Foundation.exit(status)
    }

    /// The profile at `path`, which must be one of `module`.
    private func existingProfile(_ path: String, of module: CompiledModule) -> Profile {
        let profile = readProfile(path)
        let this = module.profile ?? Profile(wasmHash: module.wasmHash, counts: [:])
        guard profile.fits(wasmHash: this.wasmHash, linked: this.linked) else {
            fail("\(path): a profile of another module (\(profile.moduleDescription)); \(file) is \(this.moduleDescription)", status: 1)
        }
        return profile
    }

    /// Writes the module's counts to `path`, added to those already there.
    private static func saveProfile(_ module: CompiledModule, to path: String) {
        guard var profile = module.profile else { return }
        if FileManager.default.fileExists(atPath: path) {
            do {
                try profile.merge(try Profile(file: path))
            } catch {
                fail("\(error); the counts of this run are not written", status: 1)
            }
        }
        // Written whole to a temporary file first, so that a failure leaves the old profile.
        let temporary = path + ".tmp-\(ProcessInfo.processInfo.processIdentifier)"
        guard FileManager.default.createFile(atPath: temporary, contents: Data(module.profileText(profile).utf8)),
              rename(temporary, path) == 0 else {
            try? FileManager.default.removeItem(atPath: temporary)
            fail("cannot write the profile to \(path)", status: 1)
        }
    }

    private func makeWASI(for module: CompiledModule) -> WASI {
        var configuration = WASI.Configuration(arguments: [(file as NSString).lastPathComponent] + (invoke == nil ? operands : []))
        for entry in environment {
            guard let equals = entry.firstIndex(of: "="), equals != entry.startIndex else {
                fail("--env \(entry): expected KEY=VALUE", status: 1)
            }
            configuration.environment.append((String(entry[..<equals]), String(entry[entry.index(after: equals)...])))
        }
        for directory in directories {
            let (host, guest) = hostAndGuest(directory, option: "--dir")
            configuration.preopens.append(WASI.Preopen(host: host, guest: guest))
        }
        configuration.module = module
        let result = Result { () throws(WasmcError) -> WASI in try WASI(configuration) }
        switch result {
        case .success(let wasi): return wasi
        case .failure(let error): fail("\(file): \(error.message)", status: 1)
        }
    }

    private func load() -> CompiledModule {
        if dataFile != nil && !file.hasSuffix(".so") {
            fail("--data names the data file of a .so; \(file) is compiled on the fly with its data", status: 1)
        }
        var options = codegen.compileOptions
        if writeProfile != nil { options.instrument = true }
        let display = file.hasSuffix(".so") ? nil : ProgressDisplay.forCompile(of: file, quiet: codegen.quiet)
        options.progress = display?.reporter
        defer { display?.finish() }
        let result = Result { () throws(WasmcError) -> CompiledModule in
            file.hasSuffix(".so")
                ? try CompiledModule(path: file, dataPath: dataFile)
                : try CompiledModule(
                    wasm: readInput(file), options: options,
                    cache: noCache ? nil : CompileCache.standard(environment: ProcessInfo.processInfo.environment))
        }
        switch result {
        case .success(let module): return module
        case .failure(let error): report(error)
        }
    }

    private func instantiate(_ module: CompiledModule, wasi: WASI?) -> Instance {
        let result = Result { () throws(WasmcError) -> Instance in
            if let wasi { return try Instance(module: module, store: Store(), wasi: wasi) }
            return try Instance(module: module, store: Store()) { _ in nil }
        }
        switch result {
        case .success(let instance): return instance
        case .failure(let error): report(error)
        }
    }

    private func report(_ error: WasmcError) -> Never {
        if case .trap(let trap) = error.kind { trapped(trap) }
        if case .exception(let exception) = error.kind { uncaught(exception, in: nil) }
        // Load errors start with the path the runtime was given; say it once.
        var message = error.message
        for path in [file, "./" + file] where message.hasPrefix(path + ": ") {
            message.removeFirst(path.count + 2)
        }
        fail("\(file): \(message)", status: 1)
    }

    private func trapped(_ trap: Trap) -> Never {
        FileHandle.standardError.write(Data("wasm trap: \(trap.message)\n".utf8))
        exit(134)
    }

    /// An exception left the program: one line naming its tag, and the status of a trap.
    private func uncaught(_ exception: WasmException, in instance: Instance?) -> Never {
        let tag = instance.flatMap { $0.name(of: exception.tag) }.map { "\"\($0)\"" } ?? "(unnamed)"
        let payload = exception.payload.map(ValueText.format).joined(separator: ", ")
        FileHandle.standardError.write(Data("wasm exception: uncaught, tag \(tag) (\(payload))\n".utf8))
        exit(134)
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
