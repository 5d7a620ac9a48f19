// wasmc run: the part that needs no compiler, shared by the runtime-only `wasmc` launcher
// (Sources/WasmcLauncher) and the full CLI (wasmc-compiler), which adds compiling a .wasm.
import ArgumentParser
#if canImport(FoundationEssentials)
import FoundationEssentials  // not Foundation: it loads ICU, 2 ms and 4 MB at start-up
import Glibc
#else
import Foundation
#endif
import Wasmc

/// What `run` does before the program ends: write the profile (set once, before the run).
nonisolated(unsafe) private var atExit: (() -> Void)?

/// `wasmc run`'s options and what it does with a loaded module. The full CLI's `run` adds the
/// options of compiling a .wasm on the fly.
extension Engine: ExpressibleByArgument {}

public struct RunOptions: ParsableArguments {
    public static let configuration = CommandConfiguration(
        commandName: "run",
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
    public var file: String

    @Option(help: "The exported function to call instead of running _start.")
    public var invoke: String?

    @Option(name: .customLong("data"), help: ArgumentHelp(
        "The .so's data file (`wasmc compile --data`), when it is not beside the .so under the name it was written with.",
        valueName: "file.wdata"))
    public var dataFile: String?

    @Option(name: .customLong("dir"), help: ArgumentHelp(
        "A host directory the program may use: HOST, or HOST::GUEST to show it under another name (repeatable).",
        valueName: "host[::guest]"))
    public var directories: [String] = []

    @Option(name: .customLong("env"), help: ArgumentHelp("An environment variable for the program (repeatable).", valueName: "key=value"))
    public var environment: [String] = []

    @Option(
        name: .customLong("write-profile"),
        help: ArgumentHelp(
            "When the run ends (also by a trap or proc_exit), write the execution counts of a module compiled with --instrument to this file, adding to the counts it holds if it is a profile of the same module (a .wasm is compiled with --instrument for it).",
            valueName: "file"))
    public var writeProfile: String?

    @Option(name: .customLong("trust"), help: ArgumentHelp(
        "Run only artifacts signed (`wasmc sign`) by this public key (repeatable: any of them); unsigned, altered and other signers' artifacts are refused before any of their code is mapped. Default: the key files in $WASMC_TRUST, separated by ':'; without either, signatures are not checked.",
        valueName: "key.pub"))
    public var trust: [String] = []

    @Option(help: ArgumentHelp(
        "auto (default): native code, or the interpreter on the wasm the artifact carries when none of its native code can run here (another architecture, a missing CPU feature, another ABI version), with a one-line note on stderr saying why; native: native code only; interp: the interpreter always.",
        valueName: "auto|native|interp"))
    public var engine: Engine = .auto

    @Option(name: .customLong("key"), help: ArgumentHelp(
        "The private key (NAME.key from `wasmc keygen`) to open an encrypted artifact (`wasmc encrypt --to NAME.pub`) with, in memory.",
        valueName: "key"))
    public var key: String?

    @Argument(parsing: .allUnrecognized, help: "With --invoke: the function's arguments, one per parameter. Otherwise: the program's arguments.")
    public var arguments: [String] = []

    public init() {}


    /// `arguments` without the first `--`, which only ends wasmc's own options.
    var operands: [String] {
        var operands = arguments
        if let terminator = operands.firstIndex(of: "--") { operands.remove(at: terminator) }
        return operands
    }

    /// Runs `module` as the options say (its _start with WASI, or --invoke) and ends the
    /// program with its status.
    public func run(_ module: CompiledModule) -> Never {
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
        Glibc.exit(status)
    }

    /// The profile at `path`, which must be one of `module`.
    private func existingProfile(_ path: String, of module: CompiledModule) -> Profile {
        let profile = readProfile(path)
        let this = module.profile ?? Profile(wasmHash: module.wasmHash, counts: [:])
        guard profile.isOfSameModule(as: this) else {
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
        var configuration = WASI.Configuration(arguments: [file.split(separator: "/").last.map(String.init) ?? file] + (invoke == nil ? operands : []))
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

    /// The trust policy of --trust, else of $WASMC_TRUST; nil for none. A key file that cannot
    /// be read ends the program.
    public func trustPolicy() -> TrustPolicy? {
        let result = Result { () throws(WasmcError) -> TrustPolicy? in
            // $WASMC_TRUST: public key files separated by ':', when --trust names none.
            let files = trust.isEmpty ? (ProcessInfo.processInfo.environment["WASMC_TRUST"] ?? "").split(separator: ":").map(String.init) : trust
            return files.isEmpty ? nil : try TrustPolicy(keyFiles: files)
        }
        switch result {
        case .success(let policy): return policy
        case .failure(let error): fail(error.message, status: 1)
        }
    }

    /// Whether `file` is a compiled artifact (an ELF .so, a bundle, or one encrypted), by its
    /// first bytes (and a .wasm's sections), rather than a module to compile.
    public var isArtifact: Bool {
        let fd = open(file, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return file.hasSuffix(".so") }
        defer { close(fd) }
        var magic = [UInt8](repeating: 0, count: 8)
        let count = pread(fd, &magic, 8, 0)
        guard count > 0 else { return file.hasSuffix(".so") }
        return magic.starts(with: [0x7f, 0x45, 0x4c, 0x46]) || EncryptedArtifact.isEncrypted(magic.prefix(count))
            || (magic.starts(with: [0, 0x61, 0x73, 0x6d]) && CompiledModule.isBundle(path: file))
    }

    /// The artifact `file` names, loaded (with its data file) under the trust policy, opened
    /// with --key when encrypted; a failure ends the program.
    public func load() -> CompiledModule {
        let policy = trustPolicy()
        let result = Result { () throws(WasmcError) -> CompiledModule in
            let privateKey = try key.map { path throws(WasmcError) in try PrivateKey(file: path) }
            return try CompiledModule.load(path: file, dataPath: dataFile, trust: policy, key: privateKey, engine: engine)
        }
        if case .success(let module) = result, engine == .auto, let reason = module.fallbackReason {
            writeError("wasmc: note: running \(file) in the interpreter: \(reason)")
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

    /// Ends the program for `error` as `run` reports it: a trap or an exception as such, else one
    /// line naming the file.
    public func report(_ error: WasmcError) -> Never {
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
        writeError("wasm trap: \(trap.message)")
        exit(134)
    }

    /// An exception left the program: one line naming its tag, and the status of a trap.
    private func uncaught(_ exception: WasmException, in instance: Instance?) -> Never {
        let tag = instance.flatMap { $0.name(of: exception.tag) }.map { "\"\($0)\"" } ?? "(unnamed)"
        let payload = exception.payload.map(ValueText.format).joined(separator: ", ")
        writeError("wasm exception: uncaught, tag \(tag) (\(payload))")
        exit(134)
    }
}

/// Reads a profile file; a missing or malformed one ends the program (status 1).
public func readProfile(_ path: String) -> Profile {
    do {
        return try Profile(file: path)
    } catch {
        fail("\(error)", status: 1)
    }
}

/// Prints a one-line error and exits with `status`.
public func fail(_ message: String, status: Int32) -> Never {
    writeError("wasmc: \(message)")
    Glibc.exit(status)
}

/// A directory as `--dir` and `--embed-dir` take it: HOST, or HOST::GUEST to show it under
/// another name.
public func hostAndGuest(_ text: String, option: String) -> (host: String, guest: String) {
    var parts = [Substring(text)]
    while let last = parts.last, let split = last.indices.first(where: { last[$0...].hasPrefix("::") }) {
        parts[parts.count - 1] = last[..<split]
        parts.append(last[last.index(split, offsetBy: 2)...])
    }
    guard parts.count <= 2, !parts[0].isEmpty, parts.count == 1 || !parts[1].isEmpty else {
        fail("\(option) \(text): expected HOST or HOST::GUEST", status: 1)
    }
    return (String(parts[0]), String(parts.count == 2 ? parts[1] : parts[0]))
}

/// Writes `line` and a line break to standard error, unbuffered.
public func writeError(_ line: String) {
    let bytes = Array((line + "\n").utf8)
    var written = 0
    while written < bytes.count {
        let n = bytes[written...].withUnsafeBufferPointer { write(2, $0.baseAddress, $0.count) }
        if n <= 0 { return }
        written += n
    }
}
