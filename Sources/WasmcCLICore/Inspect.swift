// wasmc inspect: what a compiled .so records, read from the file without loading it.
import ArgumentParser
#if canImport(FoundationEssentials)
import FoundationEssentials
import Glibc
#else
import Foundation
#endif
import Wasmc

public struct Inspect: ParsableCommand {
    public static let configuration = CommandConfiguration(
        abstract: "Print what a .so compiled by wasmc records: ABI version, target, CPU, hash, options, imports, exports.",
        discussion: """
            The file is read, not loaded (the runtime's wasmc_module_inspect, the parser the \
            loader uses): a .so of any architecture can be inspected, and nothing is checked \
            against this machine. Exits with status 1, after printing, when the ELF machine is \
            not the architecture of the target triple the metadata records.
            """)

    @Argument(help: "A shared object compiled by wasmc.")
    var file: String


    @Option(help: "For an encrypted artifact: the private key to open it with (in memory), to show what it holds.")
    var key: String?

    public init() {}

    public func run() throws {
        var path = file
        var header = ""
        var decrypted: Int32 = -1
        defer { if decrypted >= 0 { close(decrypted) } }
        do {
            if let (text, fd) = try Self.openEncrypted(file, key: key) {
                header = text
                guard let fd else {
                    print("file: \(file)\n" + header, terminator: "")
                    return
                }
                decrypted = fd
                path = "/proc/self/fd/\(fd)"
            }
        } catch {
            fail(error.message, status: 1)
        }
        let module: CompiledModule
        do {
            module = try CompiledModule(inspecting: path)
        } catch {
            fail(error.message.replacing(path, with: file), status: 1)
        }
        print("file: \(file)\n" + header + "elf machine: \(module.machine)\n" + Self.summary(module) + Self.signature(of: path), terminator: "")
        if let mismatch = Self.mismatch(machine: module.machine, triple: module.targetTriple) {
            fail("\(file): \(mismatch)", status: 1)
        }
    }

    /// Why a file of ELF machine `machine` cannot hold code for `triple`'s architecture, or nil
    /// when it can (or the architecture is not one wasmc compiles for).
    static func mismatch(machine: String, triple: String) -> String? {
        let arch = triple.prefix { $0 != "-" }
        let names = ["x86_64": "x86_64", "amd64": "x86_64", "aarch64": "aarch64", "arm64": "aarch64", "riscv64": "riscv64"]
        guard machine != "none" else { return nil }  // a bundle's metadata, no native code left
        guard let expected = names[String(arch)], expected != machine else { return nil }
        return "the ELF machine is \(machine) but the metadata records target \(triple)"
    }

    /// For an encrypted file: the "encrypted:" line, and with `key` the file decrypted into
    /// memory (nil without a key); nil for a file that is not encrypted.
    static func openEncrypted(_ path: String, key: String?) throws(WasmcError) -> (String, Int32?)? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        return try CompiledModule.withMapping(of: fd, name: path) { bytes throws(WasmcError) -> (String, Int32?)? in
            guard EncryptedArtifact.isEncrypted(bytes.prefix(8)) else { return nil }
            let header = try EncryptedArtifact.header(of: bytes, name: path)
            let text = "encrypted: format \(header.version), X25519 + HKDF-SHA256 + ChaCha20-Poly1305, to \(header.recipient), "
                + "\(header.plaintextSize) bytes inside\(key == nil ? " (give --key to see them)" : "")\n"
            guard let key else { return (text, nil) }
            return (text, try EncryptedArtifact.decryptToMemory(bytes, with: try PrivateKey(file: key), name: path))
        }
    }

    /// The "signature:" line: whether the file is signed, by whom, and whether the signature
    /// matches its contents.
    static func signature(of path: String) -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return "signature: (cannot read the file)\n" }
        defer { close(fd) }
        let status = try? CompiledModule.withMapping(of: fd, name: path) { ArtifactSignature.status(of: $0) }
        switch status {
        case .unsigned?: return "signature: none\n"
        case .malformed(let why)?: return "signature: unreadable: \(why)\n"
        case .signed(let signer, _, let isValid, let length)?:
            return "signature: \(signer), " + (isValid ? "valid over its \(length) bytes\n" : "DOES NOT MATCH the contents (altered after signing)\n")
        case nil: return "signature: (cannot read the file)\n"
        }
    }

    static func summary(_ module: CompiledModule) -> String {
        var text = module.machine == "none" ? "bundle: no native code left (the interpreter runs it); its metadata, compiled for the first target:\n" : ""
        let natives = module.bundleNatives
        if !natives.isEmpty {
            text += "bundle: native code for \(natives.count) machines; the one below is \(natives.contains { $0.isChosen } ? "the one this machine runs" : "the first (none runs here)")\n"
            for native in natives {
                text += "  \(native.targetTriple) (\(native.cpu)): " + (native.isChosen ? "runs here, chosen" : native.refusal.map { "not here: \($0)" } ?? "runs here") + "\n"
            }
        }
        return text + details(module)
    }

    static func details(_ module: CompiledModule) -> String {
        let data = module.dataSegments
        let place = data.count == 0 ? "" : !module.bundleNatives.isEmpty ? " in the bundle (wasmc.data)"
            : data.file.map { " in the data file \($0) beside the .so" } ?? " in the .so"
        let embedded = data.embeddedEntries == 0 ? "" : "; \(data.embeddedEntries) entries of embedded directories"
        var text = """
            abi version: \(CompiledModule.abiVersion)
            target: \(module.targetTriple)
            cpu: \(module.cpu)
            cpu features: \(module.cpuFeatures.isEmpty ? "(none)" : module.cpuFeatures)
            wasm sha256: \(module.wasmHash)
            compile options: \(module.compileOptions)
            bounds checks: \(module.hasExplicitBoundsChecks ? "explicit" : "guard pages")
            data: \(data.count) segments, \(data.bytes) bytes\(place)\(embedded)

            """
        let inside = module.embeddedWasm
        if inside.isEmpty {
            text += "wasm inside: none\n"
        } else {
            for wasm in inside {
                text += "wasm inside: \(wasm.name.isEmpty ? "the compiled module" : "linked \(wasm.name)"), \(wasm.size) bytes "
                    + "(\(wasm.compressedSize) compressed), sha256 \(wasm.sha256)\n"
            }
        }
        let linked = module.linkedModules
        if !linked.isEmpty {
            text += "linked modules: \(linked.count)\n"
            for dependency in linked { text += "  \(dependency.name): wasm sha256 \(dependency.wasmHash)\n" }
        }
        let imports = module.imports
        text += "imports: \(imports.count)\n"
        for i in imports { text += "  \(i.module).\(i.name): \(i.type)\n" }
        let exports = module.exports
        text += "exports: \(exports.count)\n"
        for e in exports { text += "  \(e.name): \(module.entity(e.kind, e.index))\n" }
        return text
    }
}
