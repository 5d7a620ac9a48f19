// wasmc: the command users run. It runs compiled artifacts itself, with the runtime alone
// (`wasmc run X.so`, `inspect`, `extract`, `keygen`, `sign`, `encrypt`: no LLVM, no compiler
// loaded), and hands everything
// else (compile, run of a .wasm, cache, help) to wasmc-compiler, the whole CLI, installed beside
// it. A server that only runs artifacts needs this binary alone.
import ArgumentParser
#if canImport(FoundationEssentials)
import FoundationEssentials  // not Foundation: it loads ICU, 2 ms and 4 MB at start-up
import Glibc
#else
import Foundation
#endif
import WasmcCLICore

/// `wasmc run` of a .so, parsed with the options that need no compiler.
struct RunArtifact: ParsableCommand {
    static let configuration = RunOptions.configuration

    @OptionGroup var options: RunOptions

    /// Whether this process can run it: a compiled artifact, and nothing before `--` that reads as an option
    /// this parser does not know (a compile option, which wasmc-compiler takes and ignores for
    /// a .so, or a misspelling, which it reports).
    var isRuntimeOnly: Bool {
        guard options.isArtifact else { return false }
        let beforeTerminator = options.arguments.prefix { $0 != "--" }
        return !beforeTerminator.contains { $0.hasPrefix("-") && $0.dropFirst().first?.isLetter == true }
    }

    func run() throws {
        options.run(options.load())
    }
}

/// Replaces this process with wasmc-compiler and the same arguments.
func handToCompiler() -> Never {
    let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
    var candidates = [executable.appendingPathComponent("wasmc-compiler").path]
    for folder in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
        candidates.append("\(folder)/wasmc-compiler")
    }
    guard let compiler = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
        fail("this needs the compiler, wasmc-compiler, which is neither beside \(executable.path)/wasmc nor on PATH "
            + "(this installation runs compiled .so files only)", status: 1)
    }
    let arguments = [compiler] + CommandLine.arguments.dropFirst()
    var argv = arguments.map { strdup($0) } + [nil]
    execv(compiler, &argv)
    fail("cannot run \(compiler): \(String(cString: strerror(errno)))", status: 1)
}

let arguments = Array(CommandLine.arguments.dropFirst())
switch arguments.first {
case "run":
    guard let command = try? RunArtifact.parse(Array(arguments.dropFirst())), command.isRuntimeOnly else { handToCompiler() }
    try command.run()
case "inspect" where !arguments.dropFirst().contains { $0 == "-h" || $0 == "--help" }:  // help: the whole CLI's
    Inspect.main(Array(arguments.dropFirst()))
case "extract" where !arguments.dropFirst().contains { $0 == "-h" || $0 == "--help" }:
    Extract.main(Array(arguments.dropFirst()))
case "keygen" where !arguments.dropFirst().contains { $0 == "-h" || $0 == "--help" }:
    Keygen.main(Array(arguments.dropFirst()))
case "sign" where !arguments.dropFirst().contains { $0 == "-h" || $0 == "--help" }:
    Sign.main(Array(arguments.dropFirst()))
case "encrypt" where !arguments.dropFirst().contains { $0 == "-h" || $0 == "--help" }:
    Encrypt.main(Array(arguments.dropFirst()))
default:
    handToCompiler()
}
