import CLLVM
import CLLVMPasses
import Foundation
import WasmcRuntime
@_exported import WasmcProfile
import WasmcCodegen
import WasmcModule
import WasmcValidation

/// How a module is compiled.
public struct CompileOptions: Sendable {
    public enum BoundsChecks: String, Sendable, CaseIterable {
        /// Rely on the 8 GiB reservation and guard pages: no check in the generated code.
        case guardPages = "guard"
        /// Compare every access against the memory's current size.
        case explicit
    }

    /// 0 to 3, as -O0...-O3.
    public var optimizationLevel: Int = 2
    public var boundsChecks: BoundsChecks = .guardPages
    /// What `compile` writes.
    public enum Output: String, Sendable, CaseIterable {
        /// A loadable shared object (the normal case).
        case sharedObject = "so"
        /// The relocatable object before linking.
        case object = "obj"
        /// Assembly text of the optimized code.
        case assembly = "asm"
        /// LLVM IR text after optimization, for looking at what the optimizer made of a module.
        case llvmIR = "ir"
    }

    /// The machine to generate code for; nil for the host's CPU with all its features.
    public var target: Target? = nil
    public var output: Output = .sharedObject
    /// How many threads may optimize and generate machine code for the parts of a large module;
    /// nil for one per core. The generated code does not depend on it (the parts are linked into
    /// one .so).
    public var threads: Int? = nil
    /// Count how often each function and loop runs, to record a profile
    /// (`CompiledModule.profile`); the code is otherwise the same.
    public var instrument = false
    /// A profile of the module: the functions that did the work are compiled at
    /// `optimizationLevel`, the others at -O0 (`Profile.tiers`), which shortens the compile.
    /// Only for a shared object.
    public var profile: Profile? = nil
    /// With a profile: the share of the counted work (above 0, at most 1) that the functions
    /// compiled at `optimizationLevel` did at least.
    public var hotShare = Profile.defaultHotShare
    /// Bytes of code per part of a module compiled in parts (`Partition`); nil for the size
    /// wasmc picks by the module's size (small modules are compiled whole). Set, every module is
    /// compiled in parts of about this size: for tests of the parts' linkage on small modules.
    /// The code of each function is the same either way.
    public var partSize: Int? = nil
    /// wasmc's own loop passes that -O2 and -O3 run: all of them, unless one is left out to
    /// compare (Documentation/codegen.md).
    public var loopPasses: LoopPasses = .all
    /// A pipeline in LLVM's textual syntax (`opt -passes`) that replaces -O1..-O3's, wasmc's
    /// passes by their names (`wasmc-loop-reroll`...): to try pipelines out.
    public var pipeline: String? = nil
    /// Print LLVM's table of the time each pass took on standard error. Does not change the code.
    public var timePasses = false
    /// Options for LLVM itself, as `clang -mllvm` takes them (e.g. `-post-RA-scheduler=false`),
    /// to try LLVM's knobs out. LLVM keeps them per process: the first compile that names any
    /// sets them, and a later compile that names others fails.
    public var llvmArguments: [String] = []
    /// The linker; nil for ld.lld-19 from PATH, /usr/bin or /usr/lib/llvm-19/bin.
    public var linker: String? = nil
    /// Where to write the data segments' bytes (the data image, Runtime/include/wasmc_abi.h)
    /// apart from the .so, which then records the file's name and looks for it beside itself;
    /// nil to keep them in the .so. Either way instances map them rather than copy them. One
    /// data file serves the .so of every target compiled from the module.
    public var dataFile: String? = nil
    /// Host directories to carry in the artifact's data image, which a WASI program of the
    /// module sees as read-only preopened directories under their guest names
    /// (`WASI.Configuration.module`); their files are read from the image as the program reads
    /// them.
    public var embeddedDirectories: [EmbeddedDirectory] = []
    /// Whether the .so carries the wasm it is compiled from (its `.wasmc.wasm` section): always,
    /// except the .so files inside a bundle, which is the wasm itself.
    var carriesWasm = true
    /// The proposals after WebAssembly 2.0 the module may use (`--wasm 2.0|3.0`).
    public var features: WasmFeatures = .default
    /// Called as the compile goes from stage to stage, and as the parts of a large module are
    /// done (from the threads that do them, one call at a time). Does not change the code.
    public var progress: (@Sendable (CompileProgress) -> Void)? = nil

    public init(
        optimizationLevel: Int = 2, boundsChecks: BoundsChecks = .guardPages, target: Target? = nil,
        output: Output = .sharedObject, threads: Int? = nil, instrument: Bool = false, profile: Profile? = nil,
        hotShare: Double = Profile.defaultHotShare
    ) {
        self.optimizationLevel = optimizationLevel
        self.boundsChecks = boundsChecks
        self.target = target
        self.output = output
        self.threads = threads
        self.instrument = instrument
        self.profile = profile
        self.hotShare = hotShare
    }

    /// wasmc's loop passes (Sources/CLLVMPasses/include/CLLVMPasses.h, WASMC_PASS_*).
    public struct LoopPasses: OptionSet, Sendable, Hashable {
        public let rawValue: UInt32
        public init(rawValue: UInt32) { self.rawValue = rawValue }

        /// LoopReroll.cpp: rolls up loops the producer unrolled.
        public static let reroll = LoopPasses(rawValue: UInt32(WASMC_PASS_LOOP_REROLL))
        /// LoopJam.cpp: unroll-and-jam of loops around accumulations.
        public static let jam = LoopPasses(rawValue: UInt32(WASMC_PASS_LOOP_JAM))
        /// LoopDevectorize.cpp: 128-bit SIMD loops to one-lane loops.
        public static let devectorize = LoopPasses(rawValue: UInt32(WASMC_PASS_LOOP_DEVECTORIZE))
        /// LoopAliasGroups.cpp: versions loops on pointer groups.
        public static let aliasGroups = LoopPasses(rawValue: UInt32(WASMC_PASS_LOOP_ALIAS_GROUPS))
        public static let all: LoopPasses = [.reroll, .jam, .devectorize, .aliasGroups]
    }

    /// Sets what the WASMC_* environment variables of a tool's process ask for (the CLI, the
    /// spec runner): WASMC_NO_REROLL, WASMC_NO_JAM, WASMC_NO_DEVECTORIZE, WASMC_NO_LOOP_GROUPS
    /// leave a loop pass out; WASMC_PIPELINE is `pipeline`; WASMC_TIME_PASSES `timePasses`;
    /// WASMC_LLVM_ARGS `llvmArguments` (separated by spaces); WASMC_LLD `linker`, else the first
    /// ld.lld-19 on PATH.
    public mutating func applyEnvironment(_ environment: [String: String]) {
        let omitted: [(String, LoopPasses)] = [
            ("WASMC_NO_REROLL", .reroll), ("WASMC_NO_JAM", .jam), ("WASMC_NO_DEVECTORIZE", .devectorize),
            ("WASMC_NO_LOOP_GROUPS", .aliasGroups),
        ]
        for (name, pass) in omitted where environment[name] != nil { loopPasses.remove(pass) }
        if let text = environment["WASMC_PIPELINE"] { pipeline = text }
        if environment["WASMC_TIME_PASSES"] != nil { timePasses = true }
        if let text = environment["WASMC_LLVM_ARGS"] { llvmArguments = text.split(separator: " ").map(String.init) }
        if let path = environment["WASMC_LLD"], !path.isEmpty {
            linker = path
        } else if let path = environment["PATH"], let found = Linker.find(in: path.split(separator: ":").map(String.init)) {
            linker = found
        }
    }

    /// The options as the .so records them (`wasmc inspect`).
    /// The machine compiled for, checked, and the CPU features its code requires.
    func resolvedTarget() throws(CompileError) -> (target: Target, requiredFeatures: String) {
        let target = self.target ?? Target.host
        do {
            try target.validate()
            return (target, try target.requiredFeatures())
        } catch {
            throw .target(error)
        }
    }

    func summary(tiers: Profile.Tiers?) -> String {
        var text = "-O\(optimizationLevel) --bounds-checks \(boundsChecks.rawValue)"
        if instrument { text += " --instrument" }
        if features == .wasm2 { text += " --wasm 2.0" }
        if let partSize { text += " --part-size \(partSize)" }
        if let tiers { text += " --profile (\(tiers.summary(level: optimizationLevel)))" }
        return text
    }
}

extension Profile.Tiers {
    /// The optimization level of a function of each tier, when `level` is asked for. Warm code
    /// did little of the work, so -O0 saves more compile time on it than it costs: jsonpp
    /// compiled with its warm functions at -O0 runs as fast as with them at -O1, and its code
    /// compiles in 0.28 s instead of 0.33-0.39 s (0.43 s without a profile; hot share 99%,
    /// Documentation/profiles.md).
    static func levels(for level: Int) -> (hot: Int, warm: Int, cold: Int) { (level, 0, 0) }

    func summary(level: Int) -> String {
        let levels = Self.levels(for: level)
        return "\(hot.count) hot at -O\(levels.hot), \(warm.count) warm at -O\(levels.warm), \(cold.count) cold at -O\(levels.cold)"
    }
}

/// How far a compile has come, for a progress display (`CompileOptions.progress`).
public struct CompileProgress: Sendable {
    public enum Stage: String, Sendable {
        case checking = "checking"
        case generating = "generating IR"
        /// Optimizing and generating machine code; for a module compiled in parts, generating
        /// their IR as well.
        case compiling = "compiling"
        case linking = "linking"
    }

    public var stage: Stage
    /// The share of the stage done (0 to 1), for a stage done in parts.
    public var fraction: Double?

    public init(stage: Stage, fraction: Double? = nil) {
        self.stage = stage
        self.fraction = fraction
    }
}

/// Why a module could not be compiled.
public enum CompileError: Error, CustomStringConvertible, Sendable {
    /// The input is malformed or invalid (the user's module).
    case module(ModuleError)
    /// wasmc could not generate code for a valid module.
    case codegen(CodegenError)
    /// The target, CPU or a CPU feature is unknown to LLVM.
    case target(TargetError)
    /// LLVM or the linker failed.
    case backend(String)
    /// The profile does not fit the module or the options.
    case profile(ProfileError)
    /// Something the compile takes besides the module is unusable (an embedded directory).
    case input(String)
    /// The modules to link into one do not fit together (an import nobody exports, of another
    /// type, a cycle of dependencies).
    case link(LinkError)

    public var description: String {
        switch self {
        case .module(let error): return error.description
        case .codegen(let error): return error.description
        case .target(let error): return error.description
        case .backend(let message): return "backend: \(message)"
        case .profile(let error): return "profile: \(error)"
        case .input(let message): return message
        case .link(let error): return error.message
        }
    }
}

/// bytes → validated module → LLVM IR → object → .so.
public struct Compiler: Sendable {
    public var options: CompileOptions

    public init(options: CompileOptions = CompileOptions()) {
        self.options = options
    }

    /// Decodes and validates; the first stage, separately callable (e.g. for spec tests).
    public static func check(_ wasm: [UInt8], features: WasmFeatures = .default) throws(CompileError) -> ModuleInfo {
        let module: ModuleInfo
        do {
            module = try decodeModule(wasm)
            try validateModule(module, features: features)
        } catch {
            throw .module(error)
        }
        return module
    }

    /// Compiles `wasm` to a shared object at `outputPath` (or what `options.output` asks for),
    /// and tells where the time went.
    @discardableResult
    public func compile(_ wasm: [UInt8], to outputPath: String) throws(CompileError) -> CompileReport {
        try compile(ModuleInput(bytes: wasm), to: outputPath)
    }

    /// Compiles the module `input` reads as it arrives (a file, a pipe, memory): once the
    /// sections before the data section are in, they are validated and a module compiled in
    /// parts has its functions compiled on other threads while the data segments still arrive
    /// and pass to the data image; what needs them (the instance part, the metadata with their
    /// hashes) comes last. The .so is the same as from the module's bytes in memory.
    ///
    /// `links`: modules to link into this one (`ModuleLinker`), each by the NAME its importers
    /// import it by; the .so is then one module made of all of them, whose calls across
    /// modules are direct.
    @discardableResult
    public func compile(_ input: ModuleInput, linking links: [LinkInput] = [], to outputPath: String) throws(CompileError) -> CompileReport {
        guard let dataFile = options.dataFile else {
            return try compile(input, links: links, to: outputPath, dataFile: nil)
        }
        // Written beside its place and renamed once the .so is: a failed compile leaves nothing.
        var report = CompileReport()
        try Linker.writeFile(dataFile) { (partial: String) throws(CompileError) in
            report = try compile(input, links: links, to: outputPath, dataFile: partial)
        }
        return report
    }

    /// A module to link into the one compiled (`wasmc compile --link NAME=FILE`).
    public struct LinkInput: Sendable {
        /// The module name its importers import it by.
        public var name: String
        public var input: ModuleInput

        public init(name: String, input: ModuleInput) {
            self.name = name
            self.input = input
        }
    }

    private func compile(_ input: ModuleInput, links: [LinkInput], to outputPath: String, dataFile: String?) throws(CompileError) -> CompileReport {
        var report = CompileReport()
        report.optimizationLevel = options.optimizationLevel
        var clock = ContinuousClock.now
        func lap(_ phase: WritableKeyPath<CompileReport, Duration>) {
            let now = ContinuousClock.now
            report[keyPath: phase] = now - clock
            clock = now
            report.peakResident.append(CompileReport.peakResidentBytes())
        }
        let (target, required) = try options.resolvedTarget()
        options.progress?(CompileProgress(stage: .checking))
        let inputs = [input] + links.map(\.input)
        let hashes = inputs.map { _ in ContentHash() }
        let files = try Linker.ObjectFiles()
        // The wasm inside the .so (wasmc_abi.h): the compiled module, then the linked ones that
        // take part.
        let archive = options.output == .sharedObject && options.carriesWasm ? try WasmArchive(names: [""] + links.map(\.name), directory: files.path) : nil
        for (index, (input, hash)) in zip(inputs, hashes).enumerated() {
            input.observer = { bytes in
                hash.add(bytes)
                archive?.add(bytes, to: index)
            }
        }
        defer { for input in inputs { input.observer = nil } }
        let wasmHash = hashes[0]
        var decoders = inputs.map(ModuleDecoder.init)
        /// A module error, naming the linked module it is in.
        func moduleError(_ error: ModuleError, _ input: Int) -> CompileError {
            input == 0 ? .module(error) : .input("--link \(links[input - 1].name)=\(inputs[input].name): \(error)")
        }
        // The code: everything but the data segments, of each module, linked into one.
        var codes: [ModuleInfo] = []
        for index in inputs.indices {
            do {
                codes.append(try decoders[index].decodeCode())
                try validateModule(codes[index], features: options.features)
            } catch {
                throw moduleError(error, index)
            }
        }
        var linker: ModuleLinker?
        /// The input of each part linked.
        var partInputs = [0]
        if !links.isEmpty {
            do {
                func part(_ index: Int) throws(ModuleError) -> ModuleLinker.Part {
                    let name = index == 0 ? URL(fileURLWithPath: inputs[0].name).deletingPathExtension().lastPathComponent : links[index - 1].name
                    return ModuleLinker.Part(name: name, module: codes[index], dataCount: try decoders[index].peekDataCount())
                }
                var dependencies: [ModuleLinker.Part] = []
                for index in links.indices { dependencies.append(try part(index + 1)) }
                linker = try ModuleLinker(main: try part(0), dependencies: dependencies)
            } catch let error as LinkError {
                throw .link(error)
            } catch let error as ModuleError {
                throw .module(error)
            } catch {
                throw .input("\(error)")
            }
            // The main module, then the linked modules that take part (their names are unique).
            partInputs = [0] + linker!.parts.dropFirst().map { part in 1 + links.firstIndex { $0.name.utf8.elementsEqual(part.name.utf8) }! }
            report.warnings = linker!.warnings
        }
        let code = linker?.module ?? codes[0]
        // A profile that does not fit is reported once the module's hash tells whether it is
        // another module's (the likelier reason).
        var functionLevels: [Int: Int] = [:]
        var profileProblem: CompileError?
        do {
            functionLevels = try levels(of: code, report: &report)
        } catch {
            profileProblem = error
        }
        lap(\.check)
        let machine = try TargetMachine(target: target, optimizationLevel: options.optimizationLevel, options: options)
        let level = options.optimizationLevel
        // The loader checks the recorded features against the CPU it runs on (wasmc_abi.h).
        var record = CompileRecord(
            targetTriple: target.triple, cpu: target.cpu, cpuFeatures: required,
            options: options.summary(tiers: report.tiers), wasmHash: "",
            explicitBoundsChecks: options.boundsChecks == .explicit, countsExecutions: options.instrument,
            dataFile: options.dataFile.map { URL(fileURLWithPath: $0).lastPathComponent } ?? "", dataHashes: [],
            embeddedFiles: (0, 0))
        // A large module (or one whose functions have levels of their own) is compiled in parts
        // on several threads, each part generated, optimized and emitted on its thread
        // (Partition), from now on; a small one, and one whose object, assembly or IR is asked
        // for, whole, once all of it is in.
        let partition = options.output == .sharedObject && profileProblem == nil
            ? Partition.plan(module: code, level: level, functionLevels: functionLevels, partSize: options.partSize) : nil
        let symbols = FunctionSymbols(module: code)
        var compilation: Compilation?
        if let partition {
            options.progress?(CompileProgress(stage: .compiling, fraction: 0))
            compilation = partition.start(
                ModuleCompiler(module: code, record: record, symbols: symbols), machine: machine,
                threads: options.threads ?? ProcessInfo.processInfo.activeProcessorCount, files: files, progress: options.progress)
        }
        defer {
            // Only on an error: let the parts in flight end before their directory goes.
            if let compilation {
                compilation.cancel()
                _ = try? compilation.finish()
            }
        }
        // The data segments, into the data image as they arrive, and the sections after them.
        let image = try DataImage(
            directories: options.embeddedDirectories,
            destination: dataFile.map { .file($0) } ?? (options.output == .sharedObject ? .file(files.path("data.image")) : .nowhere))
        // Each module's data section in turn (the main module's, then the linked ones'): one
        // goes to the image as it is, several one after the other (`ImageSink`).
        let sink: DataSink
        if let linker {
            image.begin(count: linker.parts.reduce(0) { $0 + $1.dataCount })
            sink = ImageSink(image)
        } else {
            sink = image
        }
        for (part, index) in partInputs.enumerated() {
            do {
                try decoders[index].decodeRest(of: &codes[index], into: sink)
                try validateDataSegments(codes[index], features: options.features)
            } catch {
                throw moduleError(error, index)
            }
            linker?.addData(codes[index].data, of: part)
            linker?.addNames(codes[index].functionNames, of: part)
        }
        if linker != nil { image.end() }
        let module = linker?.module ?? codes[0]
        record.wasmHash = wasmHash.finish()
        /// The .so's sections besides the code: the data image, unless in a data file of its
        /// own, and the wasm inside.
        func sections(dataImage: String?) throws(CompileError) -> [Linker.Section] {
            var sections: [Linker.Section] = []
            if let dataImage, dataFile == nil {
                sections.append(.init(name: WASMC_DATA_SECTION, contents: dataImage, alignment: UInt64(WASMC_DATA_ALIGN)))
            }
            if let archive {
                let path = files.path("wasm.section")
                try archive.finish(indices: partInputs, digests: partInputs.map { hashes[$0].digest() }, to: path)
                sections.append(.init(name: WASMC_WASM_SECTION, contents: path, alignment: 8))
            }
            return sections
        }
        record.linkedModules = zip(linker?.parts ?? [], partInputs).dropFirst().map { part, index in (part.name, hashes[index].finish()) }
        let linked = record.linkedModules.map { Profile.Linked(name: $0.name, wasmHash: $0.hash) }
        let this = Profile(wasmHash: record.wasmHash, linked: linked, counts: [:])
        if let profile = options.profile, !profile.isOfSameModule(as: this) {
            throw .profile(ProfileError("recorded for another module (\(profile.moduleDescription), this one is \(this.moduleDescription))"))
        }
        if let profileProblem { throw profileProblem }
        record.dataHashes = image.hashes
        record.embeddedFiles = image.filesRecord
        lap(\.data)
        if let running = compilation {
            let instance = try files.write(
                Partition.compileInstance(ModuleCompiler(module: module, record: record, symbols: symbols), level: level, machine: machine),
                name: "instance.o")
            let objects = [instance] + (try running.finish())
            compilation = nil
            report.codegenParts = objects.count
            report.compiledInParts = true
            // Parts compiled before the name section arrived name their functions by index.
            let renames = symbols.renames(to: FunctionSymbols(module: module))
            for object in objects { try ELFObject.renameSymbols(in: object, renames) }
            let section = try image.finish(writeEmpty: dataFile != nil)
            lap(\.emit)
            options.progress?(CompileProgress(stage: .linking))
            try Linker.linkSharedObject(
                objectPaths: objects, output: outputPath, linker: options.linker, sections: try sections(dataImage: section))
            lap(\.link)
            return report
        }
        options.progress?(CompileProgress(stage: .generating))
        let compiler = ModuleCompiler(module: module, record: record)
        let ir: IRModule
        do {
            ir = try compiler.generate()
        } catch {
            throw .codegen(error)
        }
        if let problem = ir.verify() {
            throw .codegen(CodegenError("LLVM verifier: \(problem)"))
        }
        lap(\.generate)
        machine.adopt(ir.module)
        options.progress?(CompileProgress(stage: .compiling))
        try machine.optimize(ir.module, level: level)
        lap(\.optimize)
        let section = try image.finish(writeEmpty: dataFile != nil)
        switch options.output {
        case .sharedObject:
            let object = try machine.emitObject(ir.module)
            lap(\.emit)
            options.progress?(CompileProgress(stage: .linking))
            let path = try files.write(object, name: "module.o")
            try Linker.linkSharedObject(
                objectPaths: [path], output: outputPath, linker: options.linker, sections: try sections(dataImage: section))
            lap(\.link)
        case .object:
            try Linker.write(try machine.emitObject(ir.module), to: outputPath)
            lap(\.emit)
        case .assembly:
            try Linker.write(try machine.emitObject(ir.module, assembly: true), to: outputPath)
            lap(\.emit)
        case .llvmIR:
            try Linker.write(Data(ir.printIR().utf8), to: outputPath)
        }
        return report
    }

    /// The optimization level of each defined function (by function index) that `options.profile`
    /// gives another level than `options.optimizationLevel`; empty without a profile.
    /// Its hash is checked against the module's once all of it is in.
    private func levels(of module: ModuleInfo, report: inout CompileReport) throws(CompileError) -> [Int: Int] {
        guard let profile = options.profile else { return [:] }
        guard options.output == .sharedObject else {
            throw .profile(ProfileError("applies to shared objects only (--emit so), not --emit \(options.output.rawValue)"))
        }
        // Profiles count by function index: the defined functions' indices.
        let functionCount = FunctionSpace.count(in: module)
        let defined = module.index(of: DefinedFuncIndex(0)).rawValue..<functionCount
        if let beyond = profile.counts.keys.first(where: { $0 >= functionCount }) {
            throw .profile(ProfileError("counts function \(beyond), but the module has \(functionCount) functions"))
        }
        guard options.hotShare > 0 && options.hotShare <= 1 else {
            throw .profile(ProfileError("the hot share must be above 0 and at most 1, not \(options.hotShare)"))
        }
        let tiers = profile.tiers(of: defined, hotShare: options.hotShare)
        guard !tiers.hot.isEmpty else {
            throw .profile(ProfileError("no function of the module ran in the profiled runs: nothing tells hot code from cold"))
        }
        report.tiers = tiers
        let levels = Profile.Tiers.levels(for: options.optimizationLevel)
        var result: [Int: Int] = [:]
        for function in tiers.warm where levels.warm != levels.hot { result[function] = levels.warm }
        for function in tiers.cold where levels.cold != levels.hot { result[function] = levels.cold }
        return result
    }
}

/// The data image as the sink of several modules' data sections, one after the other: their
/// segments follow each other in the image, which `begin`s and `end`s once for all of them.
private final class ImageSink: DataSink {
    let image: DataImage
    init(_ image: DataImage) { self.image = image }
    func begin(count: Int) {}
    func segment(_ index: Int, _ segment: ModuleInfo.DataSegment) { image.segment(index, segment) }
    func add(_ bytes: UnsafeRawBufferPointer) { image.add(bytes) }
    func end() {}
}

/// Where a compilation spent its time, phase by phase (the data flow of `Compiler.compile`).
public struct CompileReport: Sendable, CustomStringConvertible {
    /// Decoding and validation of all but the data segments.
    public var check: Duration = .zero
    /// Reading the data segments (and the sections after them) into the data image: how long
    /// the rest of the module took to arrive, if it comes from a pipe. A module compiled in
    /// parts has its functions compiled meanwhile.
    public var data: Duration = .zero
    /// Generating LLVM IR (and verifying it).
    public var generate: Duration = .zero
    /// LLVM's optimization pipeline.
    public var optimize: Duration = .zero
    /// Machine code generation; for a module compiled in parts, their IR, optimization and
    /// machine code, on several threads.
    public var emit: Duration = .zero
    /// Linking the object files into the .so.
    public var link: Duration = .zero
    /// How many object files the code was generated as (the parts of a large module).
    public var codegenParts = 1
    /// Whether the module was compiled in parts, each generated, optimized and emitted on a
    /// thread (`Partition`): `generate` and `optimize` are then zero and `emit` holds all three.
    public var compiledInParts = false
    /// With a profile: how the functions divided up (`CompileOptions.profile`).
    public var tiers: Profile.Tiers?
    /// What deserves a word but did not stop the compile (a linked module nothing imports).
    public var warnings: [String] = []
    /// The optimization level asked for (the hot functions' with a profile).
    public var optimizationLevel = 2
    /// The process's peak resident memory in bytes at the end of each phase, in order (what
    /// the compile cost in memory, for a process that did nothing big before).
    public var peakResident: [UInt64] = []

    static func peakResidentBytes() -> UInt64 {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        return UInt64(usage.ru_maxrss) * 1024
    }

    public var description: String {
        func seconds(_ duration: Duration) -> String {
            let value = Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
            return String(format: "%.3f s", value)
        }
        let parts = "\(codegenParts) part\(codegenParts == 1 ? "" : "s")"
        let middle = compiledInParts
            ? "IR, optimize and machine code \(seconds(emit)) (\(parts) in parallel)"
            : "IR \(seconds(generate)), optimize \(seconds(optimize)), machine code \(seconds(emit))"
        let profile = tiers.map { "; profile: \($0.summary(level: optimizationLevel)) functions" } ?? ""
        let memory = peakResident.isEmpty
            ? "" : "; peak resident " + peakResident.map { "\($0 >> 20) MB" }.joined(separator: ", ") + " after each phase"
        return "check \(seconds(check)), data \(seconds(data)), \(middle), link \(seconds(link))\(profile)\(memory)"
    }
}
