import Foundation
import Testing
import WAT
import Wasmc
import WasmcBackend
import WasmcCodegen

/// The loader's refusals through `CompiledModule(path:)`: a .so of another architecture, of
/// another ABI version, cut short, or with corrupt metadata is a load error that names what is
/// wrong, never a crash. (A missing CPU feature: `CPUFeatureTests.missingFeatureRefused`, which
/// picks a feature this CPU lacks at run time.)
@Suite("Refusals")
struct RefusalTests {
    static let module = #"(module (func (export "seven") (result i32) (i32.const 7)))"#

    /// Compiles the test module into `dir` and returns the .so's bytes and path.
    static func compile(in dir: URL, target: Target? = nil) throws -> (bytes: [UInt8], path: String) {
        let path = dir.appendingPathComponent("module.so").path
        var options = CompileOptions()
        if let target { options.target = target }
        try Compiler(options: options).compile(try wat2wasm(module), to: path)
        return ([UInt8](try Data(contentsOf: URL(fileURLWithPath: path))), path)
    }

    /// Writes `bytes` to NAME in `dir` and expects loading it to fail with a load error whose
    /// message contains `text`.
    static func expectRefused(_ bytes: [UInt8], as name: String, in dir: URL, _ text: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let path = dir.appendingPathComponent(name).path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        do {
            _ = try CompiledModule(path: path)
            Issue.record("\(name) loaded", sourceLocation: sourceLocation)
        } catch {
            // A sound artifact for another machine (architecture, ABI) is .noNativeCode: the
            // interpreter fallback may still run its wasm; anything else is .load.
            switch error.kind {
            case .load, .noNativeCode: break
            default:
                Issue.record("expected a load error, got \(error)", sourceLocation: sourceLocation)
                return
            }
            #expect(error.message.hasPrefix(path + ": "), sourceLocation: sourceLocation)
            #expect(error.message.contains(text), "\(error.message)", sourceLocation: sourceLocation)
        }
    }

    @Test("the unpatched module loads and runs (the baseline of the cases below)")
    func baseline() throws {
        try withTemporaryDirectory { dir in
            let (_, path) = try Self.compile(in: dir)
            let instance = try Instance(module: try CompiledModule(path: path), store: Store()) { _ in nil }
            #expect(try instance.call("seven", []) == [.i32(7)])
        }
    }

    #if arch(x86_64)
        static let foreign = (triple: "aarch64-linux-gnu", name: "aarch64", host: "x86_64")
    #else
        static let foreign = (triple: "x86_64-linux-gnu", name: "x86_64", host: "aarch64")
    #endif

    @Test("a .so compiled for another architecture")
    func foreignArchitecture() throws {
        try withTemporaryDirectory { dir in
            let (bytes, _) = try Self.compile(in: dir, target: try Target.resolve(triple: Self.foreign.triple))
            try Self.expectRefused(
                bytes, as: "foreign.so", in: dir,
                "compiled for \(Self.foreign.name), which this \(Self.foreign.host) host cannot run")
        }
    }

    @Test("a .so whose descriptor records the next ABI version")
    func abiVersion() throws {
        try withTemporaryDirectory { dir in
            var (bytes, _) = try Self.compile(in: dir)
            let elf = try ELF(bytes)
            let descriptor = try elf.descriptor().offset
            let version = RuntimeABI.version
            // wasmc_module_descriptor: u32 magic ("WSMC"), u32 abi_version.
            #expect(elf.u32(at: descriptor) == 0x434d_5357 && elf.u32(at: descriptor + 4) == version)
            bytes[descriptor + 4] = UInt8(version + 1)
            try Self.expectRefused(
                bytes, as: "abi-next.so", in: dir, "ABI version \(version + 1) is not supported by this runtime (expects \(version))")
        }
    }

    @Test("a .so cut short", arguments: [2, 3, 10])
    func truncated(fraction: Int) throws {
        try withTemporaryDirectory { dir in
            let (bytes, _) = try Self.compile(in: dir)
            let keep = bytes.count - bytes.count / fraction
            try Self.expectRefused(
                Array(bytes.prefix(keep)), as: "cut.so", in: dir,
                "truncated ELF file (\(keep) bytes, section headers end at \(bytes.count))")
        }
    }

    @Test("a .so whose metadata blob's second half is overwritten")
    func corruptMetadata() throws {
        try withTemporaryDirectory { dir in
            var (bytes, _) = try Self.compile(in: dir)
            let elf = try ELF(bytes)
            let (symbol, descriptor) = try elf.descriptor()
            // The metadata pointer (descriptor offset 8) is a relative relocation whose addend is the
            // blob's address; its size is at offset 16.
            let blob = try #require(elf.relocationAddend(at: symbol + 8).flatMap { elf.fileOffset(of: $0) })
            let size = Int(elf.u64(at: descriptor + 16))
            #expect(size > 16)
            // 0xff bytes never end a LEB128 number: the parser must refuse wherever the half starts.
            for i in blob + size / 2..<blob + size { bytes[i] = 0xff }
            try Self.expectRefused(bytes, as: "corrupt.so", in: dir, "corrupt metadata at offset ")
        }
    }
}

/// Just enough of an ELF64 little-endian reader to find the descriptor in a wasmc .so.
struct ELF {
    struct Section {
        var type: UInt32, address: UInt64, offset: Int, size: Int, link: Int
    }

    enum Failure: Error { case notELF64, noDescriptor }

    let bytes: [UInt8]
    let sections: [Section]

    init(_ bytes: [UInt8]) throws {
        self.bytes = bytes
        guard bytes.count >= 64, bytes[0..<4] == [0x7f, 0x45, 0x4c, 0x46], bytes[4] == 2, bytes[5] == 1 else {
            throw Failure.notELF64
        }
        let shoff = Int(Self.read(bytes, 0x28, 8)), shentsize = Int(Self.read(bytes, 0x3a, 2))
        sections = (0..<Int(Self.read(bytes, 0x3c, 2))).map { i in
            let at = shoff + i * shentsize
            return Section(
                type: UInt32(Self.read(bytes, at + 4, 4)), address: Self.read(bytes, at + 16, 8),
                offset: Int(Self.read(bytes, at + 24, 8)), size: Int(Self.read(bytes, at + 32, 8)),
                link: Int(Self.read(bytes, at + 40, 4)))
        }
    }

    static func read(_ bytes: [UInt8], _ at: Int, _ count: Int) -> UInt64 {
        (0..<count).reversed().reduce(0) { $0 << 8 | UInt64(bytes[at + $1]) }
    }

    func u32(at offset: Int) -> UInt32 { UInt32(Self.read(bytes, offset, 4)) }
    func u64(at offset: Int) -> UInt64 { Self.read(bytes, offset, 8) }

    /// Where an address of a loaded section lies in the file (SHT_NOBITS has no bytes).
    func fileOffset(of address: UInt64) -> Int? {
        sections.first { $0.type != 8 && $0.address <= address && address < $0.address + UInt64($0.size) }
            .map { $0.offset + Int(address - $0.address) }
    }

    /// The value of a symbol of .dynsym (SHT_DYNSYM = 11).
    func dynamicSymbol(_ name: String) -> UInt64? {
        guard let symtab = sections.first(where: { $0.type == 11 }) else { return nil }
        let strings = sections[symtab.link].offset
        for at in stride(from: symtab.offset, to: symtab.offset + symtab.size, by: 24) {
            let start = strings + Int(u32(at: at))
            let end = bytes[start...].firstIndex(of: 0) ?? start
            if String(decoding: bytes[start..<end], as: UTF8.self) == name { return u64(at: at + 8) }
        }
        return nil
    }

    /// The address and file offset of the `wasmc_module` descriptor.
    func descriptor() throws -> (address: UInt64, offset: Int) {
        guard let address = dynamicSymbol("wasmc_module"), let offset = fileOffset(of: address) else {
            throw Failure.noDescriptor
        }
        return (address, offset)
    }

    /// The addend of the RELA relocation (SHT_RELA = 4) applying at `address`.
    func relocationAddend(at address: UInt64) -> UInt64? {
        for section in sections where section.type == 4 {
            for at in stride(from: section.offset, to: section.offset + section.size, by: 24) where u64(at: at) == address {
                return u64(at: at + 16)
            }
        }
        return nil
    }
}
