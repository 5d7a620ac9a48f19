// wasmc-spec-test: runs WebAssembly spec test scripts (.wast, read in place) against modules
// compiled by wasmc.
//
//   wasmc-spec-test [--jobs N] [--baseline FILE] [--show N] [-O0..-O3] [--bounds-checks guard|explicit]
//                   [--instrument] [--part-size BYTES] [--wasm 2.0|3.0] [--link-registered] [--engine native|interp]
//                   [--target TRIPLE [--cpu CPU] [--cpu-features LIST] --driver "COMMAND..."] PATH...
//
// Scripts are read as the `--wasm` version says (default 3.0): 2.0 scripts by WasmKit's text
// parser in this process, 3.0 scripts converted to JSON by `wasm-tools json-from-wast` (see
// JSONScript.swift), since WasmKit's parser reads 2.0 only. The WebAssembly 2.0 suite runs with
// `--wasm 2.0`: 3.0 made valid some modules it calls invalid. Commands that need GC, which wasmc
// does not implement, are skipped and counted by reason.
//
// Each PATH is a .wast file or a folder of them. Every file runs in a child process of its own
// (a crash or hang there fails that file only); the counts per command type are printed, then
// the line "N passed, M failed". With --baseline, the exit status is 0 when no file passes fewer
// commands than the baseline lists for it (the baseline records known gaps; see the file).
//
// By default modules run in this process. With --driver, they are compiled for --target (and
// --cpu, --cpu-features, as `wasmc compile` takes them) and run by the C driver COMMAND (split
// at spaces), e.g. "qemu-aarch64 -L /usr/aarch64-linux-gnu out/cross/aarch64/spec_driver"
// (Tests/cross/spec_driver.c, built by scripts/build-runtime-cross; see PlanWriter.swift).
//
// With --link-registered, a module importing from registered modules is compiled with them
// linked in (`wasmc compile --link`) rather than imported from their instances at run time
// (CompileTimeLinks.swift says what that changes; Tests/spec-baseline-linked.txt lists it).
//
// With --engine interp, each module is compiled to a .so as usual and then run by the
// interpreter fallback on the wasm the .so carries (`CompiledModule.load(path:engine:)`): the
// interpreter path of the Swift shim (Tests/spec-baseline-interp.txt lists what it cannot pass).
import Foundation
import Wasmc
import WasmcBackend
import WasmcModule

var arguments = Array(CommandLine.arguments.dropFirst())
var options = CompileOptions()
options.applyEnvironment(ProcessInfo.processInfo.environment)
var jobs = 2
var baselinePath: String?
var show = 20
var singleFile: String?
var paths: [String] = []
var triple: String?
var cpu: String?
var cpuFeatures: String?
var driverCommand: [String] = []
var linkRegistered = false
var engine = Engine.native
/// What a child process gets besides --single: everything that shapes how a script runs.
var childArguments: [String] = []

while !arguments.isEmpty {
    let argument = arguments.removeFirst()
    switch argument {
    case "--jobs": jobs = Int(arguments.removeFirst()) ?? 2
    case "--baseline": baselinePath = arguments.removeFirst()
    case "--show": show = Int(arguments.removeFirst()) ?? 20
    case "--single": singleFile = arguments.removeFirst()
    case "--bounds-checks":
        guard let mode = CompileOptions.BoundsChecks(rawValue: arguments.first ?? "") else {
            FileHandle.standardError.write(Data("--bounds-checks takes guard or explicit\n".utf8))
            exit(2)
        }
        options.boundsChecks = mode
        childArguments += [argument, arguments.removeFirst()]
    case "-O0", "-O1", "-O2", "-O3":
        options.optimizationLevel = Int(argument.dropFirst(2))!
        childArguments.append(argument)
    case "--instrument":
        options.instrument = true
        childArguments.append(argument)
    case "--link-registered":
        linkRegistered = true
        childArguments.append(argument)
    case "--engine":
        guard let value = Engine(rawValue: arguments.first ?? ""), value != .auto else {
            FileHandle.standardError.write(Data("--engine takes native or interp\n".utf8))
            exit(2)
        }
        engine = value
        childArguments += [argument, arguments.removeFirst()]
    case "--part-size":
        guard let size = Int(arguments.first ?? ""), size > 0 else {
            FileHandle.standardError.write(Data("--part-size takes a number of bytes\n".utf8))
            exit(2)
        }
        options.partSize = size
        childArguments += [argument, arguments.removeFirst()]
    case "--wasm":
        guard let features = WasmFeatures(version: arguments.first ?? "") else {
            FileHandle.standardError.write(Data("--wasm takes 2.0 or 3.0\n".utf8))
            exit(2)
        }
        options.features = features
        childArguments += [argument, arguments.removeFirst()]
    case "--target", "--cpu", "--cpu-features", "--driver":
        guard let value = arguments.first else {
            FileHandle.standardError.write(Data("\(argument) needs a value\n".utf8))
            exit(2)
        }
        switch argument {
        case "--target": triple = value
        case "--cpu": cpu = value
        case "--cpu-features": cpuFeatures = value
        default: driverCommand = value.split(separator: " ").map(String.init)
        }
        childArguments += [argument, arguments.removeFirst()]
    default: paths.append(argument)
    }
}

if triple != nil || cpu != nil || cpuFeatures != nil {
    do {
        options.target = try Target.resolve(triple: triple, cpu: cpu, features: cpuFeatures)
    } catch {
        FileHandle.standardError.write(Data("\(error)\n".utf8))
        exit(2)
    }
    if driverCommand.isEmpty && triple != nil {
        FileHandle.standardError.write(Data("--target needs --driver: code for another machine cannot run in this process\n".utf8))
        exit(2)
    }
}

if let singleFile {
    // Child mode: run one script, print its result as JSON on stdout. Start with no signal
    // blocked, whatever the parent left, so the parent's timeout can always end us.
    var none = sigset_t()
    sigemptyset(&none)
    pthread_sigmask(SIG_SETMASK, &none, nil)
    let result: FileResult
    do {
        let engine: SpecEngine = driverCommand.isEmpty
            ? try LocalEngine(options: options, linkRegistered: linkRegistered, engine: engine)
            : try PlanWriter(options: options, driver: driverCommand, linkRegistered: linkRegistered)
        result = options.features == .wasm2
            ? try WastRunner(path: singleFile, engine: engine, features: options.features).run()
            : try JSONScriptRunner(path: singleFile, engine: engine, features: options.features).run()
    } catch {
        var failed = FileResult(file: (singleFile as NSString).lastPathComponent)
        failed.record(.module, false, 0, "cannot run the script: \(error)")
        result = failed
    }
    FileHandle.standardOutput.write(try! JSONEncoder().encode(result))
    exit(0)
}

let driver = SpecDriver(childArguments: childArguments, jobs: jobs, show: show)
let files = driver.collect(paths)
if files.isEmpty {
    FileHandle.standardError.write(Data("usage: wasmc-spec-test [options] PATH... (no .wast files found)\n".utf8))
    exit(2)
}
let results = driver.run(files)
driver.report(results)
if let baselinePath {
    exit(driver.check(results, baseline: baselinePath) ? 0 : 1)
}
exit(results.allSatisfy { $0.failed.values.reduce(0, +) == 0 } ? 0 : 1)
