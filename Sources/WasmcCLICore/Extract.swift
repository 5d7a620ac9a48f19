// wasmc extract: the wasm a compiled .so carries, given back byte for byte.
import ArgumentParser
#if canImport(FoundationEssentials)
import FoundationEssentials
import Glibc
#else
import Foundation
#endif
import Wasmc

public struct Extract: ParsableCommand {
    public static let configuration = CommandConfiguration(
        abstract: "Write the wasm module a .so was compiled from: the identical bytes, their SHA-256 checked.",
        discussion: """
            Every .so carries the wasm it was compiled from, compressed (its .wasmc.wasm section, \
            see Runtime/include/wasmc_abi.h), and, after it, each module linked into it with \
            `--link NAME=FILE`. The file is read, not loaded: a .so of any architecture works.
            """)

    @Argument(help: "A shared object compiled by wasmc.")
    var file: String

    @Option(name: .shortAndLong, help: "Where to write the module ('-' for standard output).")
    var output: String

    @Option(name: .customLong("module"), help: "A module linked into it, by the NAME it was linked by (default: the compiled module).")
    var linkedName: String = ""

    public init() {}

    public func run() throws {
        let bytes: [UInt8]
        do {
            bytes = try CompiledModule.extractWasm(from: file, module: linkedName)
        } catch {
            fail(error.message, status: 1)
        }
        if output == "-" {
            var rest = bytes[...]
            while !rest.isEmpty {
                let n = rest.withUnsafeBytes { write(1, $0.baseAddress, $0.count) }
                guard n > 0 else { fail("cannot write to standard output: \(String(cString: strerror(errno)))", status: 1) }
                rest = rest.dropFirst(n)
            }
            return
        }
        // Written beside its place and renamed: an existing file is replaced whole or not at all.
        let partial = output + ".partial-\(getpid())"
        guard let out = fopen(partial, "wb") else { fail("cannot write \(output): \(String(cString: strerror(errno)))", status: 1) }
        let written = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, out) }
        let flushed = fflush(out) == 0 && fsync(fileno(out)) == 0
        fclose(out)
        guard written == bytes.count, flushed, rename(partial, output) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(partial)
            fail("cannot write \(output): \(reason)", status: 1)
        }
    }
}
