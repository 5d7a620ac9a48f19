// wasmc inspect: what a compiled .so records, read from the file without loading it.
import ArgumentParser
#if canImport(FoundationEssentials)
import FoundationEssentials  // not Foundation: it loads ICU, 2 ms and 4 MB at start-up
import Glibc
#else
import Foundation
#endif

public struct Inspect: ParsableCommand {
    public static let configuration = CommandConfiguration(
        abstract: "Print what a .so compiled by wasmc records: ABI version, target, CPU, hash, options, imports, exports.",
        discussion: """
            The file is read, not loaded: a .so of any architecture can be inspected, and nothing \
            is checked against this machine. The descriptor's metadata blob is found through the \
            ELF dynamic symbol `wasmc_module` and its relocation (Runtime/include/wasmc_abi.h). \
            Exits with status 1, after printing, when the ELF machine is not the architecture of \
            the target triple the metadata records.
            """)

    @Argument(help: "A shared object compiled by wasmc.")
    var file: String

    public init() {}

    public func run() throws {
        guard let data = FileManager.default.contents(atPath: file) else {
            fail("cannot read \(file)", status: 1)
        }
        let result = Result { () throws(InspectError) -> (String, mismatch: String?) in
            let elf = try ELFFile([UInt8](data))
            let metadata = try ModuleMetadata(try elf.wasmcMetadata())
            let text = "file: \(file)\nelf machine: \(elf.machineName)\n"
                + metadata.summary(descriptorABIVersion: try elf.descriptorABIVersion())
            return (text, elf.mismatch(withTriple: metadata.triple))
        }
        switch result {
        case .success(let (text, mismatch)):
            print(text, terminator: "")
            if let mismatch { fail("\(file): \(mismatch)", status: 1) }
        case .failure(let error): fail("\(file): \(error.message)", status: 1)
        }
    }
}

struct InspectError: Error {
    var message: String
    init(_ message: String) { self.message = message }
}

/// Just enough of a 64-bit little-endian ELF shared object to find `wasmc_module`'s metadata.
struct ELFFile {
    let bytes: [UInt8]
    let machine: UInt16
    private var sections: [(type: UInt32, offset: Int, size: Int, link: Int, entrySize: Int)] = []
    private var loads: [(offset: UInt64, vaddr: UInt64, fileSize: UInt64)] = []

    init(_ bytes: [UInt8]) throws(InspectError) {
        self.bytes = bytes
        guard bytes.count >= 64, bytes[0..<4] == [0x7f, 0x45, 0x4c, 0x46] else {
            throw InspectError("not an ELF file")
        }
        guard bytes[4] == 2, bytes[5] == 1 else { throw InspectError("not a 64-bit little-endian ELF file") }
        machine = UInt16(bytes[18]) | UInt16(bytes[19]) << 8
        let phoff = Int(try Self.u64(bytes, 0x20)), phnum = Int(try Self.u16(bytes, 0x38))
        let shoff = Int(try Self.u64(bytes, 0x28)), shnum = Int(try Self.u16(bytes, 0x3c))
        for i in 0..<phnum {
            let p = phoff + i * 56
            if try Self.u32(bytes, p) == 1 {  // PT_LOAD
                loads.append((try Self.u64(bytes, p + 8), try Self.u64(bytes, p + 16), try Self.u64(bytes, p + 32)))
            }
        }
        for i in 0..<shnum {
            let s = shoff + i * 64
            sections.append(
                (try Self.u32(bytes, s + 4), Int(try Self.u64(bytes, s + 24)), Int(try Self.u64(bytes, s + 32)),
                 Int(try Self.u32(bytes, s + 40)), Int(try Self.u64(bytes, s + 56))))
        }
    }

    var machineName: String {
        switch machine {
        case 62: return "x86_64"
        case 183: return "aarch64"
        case 243: return "riscv64"
        default: return "ELF machine \(machine)"
        }
    }

    /// Why the ELF machine cannot hold code for `triple`'s architecture, or nil when it can (or
    /// the architecture is not one wasmc compiles for).
    func mismatch(withTriple triple: String) -> String? {
        let arch = triple.prefix { $0 != "-" }
        let expected: UInt16
        switch arch {
        case "x86_64", "amd64": expected = 62
        case "aarch64", "arm64": expected = 183
        case "riscv64": expected = 243
        default: return nil
        }
        guard machine != expected else { return nil }
        return "the ELF machine is \(machineName) but the metadata records target \(triple)"
    }

    /// The file offset of the bytes at virtual address `address`, `count` of them.
    func offset(of address: UInt64, count: UInt64) throws(InspectError) -> Int {
        for load in loads where address >= load.vaddr && address + count <= load.vaddr + load.fileSize {
            return Int(load.offset + (address - load.vaddr))
        }
        throw InspectError("address 0x\(String(address, radix: 16)) is not in the file")
    }

    /// The virtual address of the dynamic symbol `name`.
    func symbol(_ name: String) throws(InspectError) -> UInt64 {
        for table in sections where table.type == 11 {  // SHT_DYNSYM
            guard table.link < sections.count else { break }
            let strings = sections[table.link]
            for s in stride(from: table.offset, to: table.offset + table.size, by: 24) {
                let nameOffset = strings.offset + Int(try Self.u32(bytes, s))
                guard nameOffset < bytes.count else { continue }
                let end = bytes[nameOffset...].firstIndex(of: 0) ?? bytes.count
                if bytes[nameOffset..<end].elementsEqual(name.utf8) { return try Self.u64(bytes, s + 8) }
            }
        }
        throw InspectError("not a wasmc module (no wasmc_module symbol)")
    }

    /// The pointer stored at `address`: the addend of its dynamic relocation (lld leaves RELA
    /// targets zero in the file), else the bytes in place.
    func pointer(at address: UInt64) throws(InspectError) -> UInt64 {
        for table in sections where table.type == 4 {  // SHT_RELA
            for r in stride(from: table.offset, to: table.offset + table.size, by: 24)
            where try Self.u64(bytes, r) == address {
                return try Self.u64(bytes, r + 16)
            }
        }
        return try Self.u64(bytes, try offset(of: address, count: 8))
    }

    private func descriptor() throws(InspectError) -> Int {
        let address = try symbol("wasmc_module")
        let at = try offset(of: address, count: 24)
        guard try Self.u32(bytes, at) == 0x434d_5357 else { throw InspectError("not a wasmc module (bad descriptor magic)") }
        return at
    }

    func descriptorABIVersion() throws(InspectError) -> UInt32 {
        try Self.u32(bytes, try descriptor() + 4)
    }

    /// The metadata blob the descriptor points to.
    func wasmcMetadata() throws(InspectError) -> ArraySlice<UInt8> {
        let at = try descriptor()
        let address = try symbol("wasmc_module")
        let size = try Self.u64(bytes, at + 16)
        let start = try offset(of: try pointer(at: address + 8), count: size)
        return bytes[start..<start + Int(size)]
    }

    static func u16(_ b: [UInt8], _ at: Int) throws(InspectError) -> UInt16 { UInt16(try uint(b, at, 2)) }
    static func u32(_ b: [UInt8], _ at: Int) throws(InspectError) -> UInt32 { UInt32(try uint(b, at, 4)) }
    static func u64(_ b: [UInt8], _ at: Int) throws(InspectError) -> UInt64 { try uint(b, at, 8) }
    private static func uint(_ b: [UInt8], _ at: Int, _ n: Int) throws(InspectError) -> UInt64 {
        guard at >= 0, at + n <= b.count else { throw InspectError("truncated ELF file") }
        var value: UInt64 = 0
        for i in (0..<n).reversed() { value = value << 8 | UInt64(b[at + i]) }
        return value
    }
}

/// The metadata blob (wasmc_abi.h), decoded for printing.
struct ModuleMetadata {
    var abiVersion: UInt64 = 0
    var triple = "", cpu = "", features = "", options = "", hash = ""
    var explicitBounds = false
    var types: [(params: [UInt8], results: [UInt8], key: String)] = []
    var imports: [(module: String, name: String, description: String)] = []
    var funcTypes: [Int] = []
    var tables: [String] = [], memories: [String] = [], globals: [String] = [], tags: [String] = []
    var exports: [(name: String, kind: UInt8, index: Int)] = []
    /// The data segments: where their bytes are ("" for the .so's own section), how many, their bytes.
    var dataFile = "", dataSegments = 0, dataBytes: UInt64 = 0
    /// Entries of embedded directories (roots, directories, files).
    var embeddedEntries = 0
    /// The modules linked into this one: name and wasm hash.
    var linked: [(name: String, hash: String)] = []

    private var blob: ArraySlice<UInt8>
    private var position: Int

    init(_ blob: ArraySlice<UInt8>) throws(InspectError) {
        self.blob = blob
        position = blob.startIndex
        abiVersion = try u()
        triple = try s()
        cpu = try s()
        features = try s()
        options = try s()
        hash = try s()
        explicitBounds = try u() == 1
        for _ in 0..<8 { _ = try u() }  // the vmctx layout
        for _ in 0..<(try count()) {
            var params: [UInt8] = [], results: [UInt8] = []
            for _ in 0..<(try count()) { params.append(try b()) }
            for _ in 0..<(try count()) { results.append(try b()) }
            types.append((params, results, try s()))
        }
        for _ in 0..<(try count()) {
            let module = try s(), name = try s(), kind = try b()
            imports.append((module, name, try describe(kind: kind)))
        }
        for _ in 0..<(try count()) { funcTypes.append(Int(try u())) }
        for _ in 0..<(try count()) { tables.append(try describe(kind: 1)) }
        for _ in 0..<(try count()) { memories.append(try describe(kind: 2)) }
        for _ in 0..<(try count()) { globals.append(try describe(kind: 3)) }
        for _ in 0..<(try count()) { tags.append(try describe(kind: 4)) }
        for _ in 0..<(try count()) {
            let name = try s(), kind = try b(), index = Int(try u())
            exports.append((name, kind, index))
        }
        _ = try u()  // the start function
        dataFile = try s()
        for _ in 0..<(try count()) {
            dataBytes += try u()
            _ = try u()  // the hash
            dataSegments += 1
        }
        embeddedEntries = Int(try u())
        _ = try u()  // their hash
        for _ in 0..<(try count()) { _ = try b() }  // the element segments' kinds
        for _ in 0..<(try count()) {
            _ = try u()  // a function index
            _ = try s()  // its name
        }
        for _ in 0..<(try count()) { linked.append((try s(), try s())) }
    }

    private static let kindNames = ["i32", "i64", "f32", "f64", "v128", "funcref", "externref", "exnref"]
    private static func kindName(_ kind: UInt8) -> String {
        Int(kind) < kindNames.count ? kindNames[Int(kind)] : "kind\(kind)"
    }

    func signature(_ type: Int) -> String {
        guard type < types.count else { return "(type \(type))" }
        let t = types[type]
        // A type with typed references says what its kinds cannot by its key.
        guard t.key.isEmpty else { return t.key }
        return "(\(t.params.map(Self.kindName).joined(separator: ", "))) -> (\(t.results.map(Self.kindName).joined(separator: ", ")))"
    }

    /// "func (i32) -> (i32)", "memory 1..2", "table funcref 0..", "global mut i64".
    private mutating func describe(kind: UInt8) throws(InspectError) -> String {
        func limits() throws(InspectError) -> String {
            let min = try u()
            let flags = try b()
            let range = flags & 1 != 0 ? "\(min)..\(try u())" : "\(min).."
            return flags & 2 != 0 ? "i64 " + range : range
        }
        switch kind {
        case 0: return "func \(signature(Int(try u())))"
        case 1:
            let ref = try valueType()
            return "table \(ref) \(try limits())"
        case 2: return "memory \(try limits()) pages"
        case 3:
            let value = try valueType()
            return "global \(try b() != 0 ? "mut " : "")\(value)"
        case 4: return "tag \(signature(Int(try u())))"
        default: throw InspectError("metadata: unknown extern kind \(kind)")
        }
    }

    func summary(descriptorABIVersion: UInt32) -> String {
        var text = """
            abi version: \(descriptorABIVersion)\(abiVersion == descriptorABIVersion ? "" : " (metadata says \(abiVersion))")
            target: \(triple)
            cpu: \(cpu)
            cpu features: \(features.isEmpty ? "(none)" : features)
            wasm sha256: \(hash)
            compile options: \(options)
            bounds checks: \(explicitBounds ? "explicit" : "guard pages")
            data: \(dataSegments) segments, \(dataBytes) bytes\(dataSegments == 0 ? "" : dataFile.isEmpty ? " in the .so" : " in the data file \(dataFile) beside the .so")\(embeddedEntries == 0 ? "" : "; \(embeddedEntries) entries of embedded directories")

            """
        if !linked.isEmpty {
            text += "linked modules: \(linked.count)\n"
            for module in linked { text += "  \(module.name): wasm sha256 \(module.hash)\n" }
        }
        text += "imports: \(imports.count)\n"
        for i in imports { text += "  \(i.module).\(i.name): \(i.description)\n" }
        text += "exports: \(exports.count)\n"
        for e in exports {
            let what: String
            switch e.kind {
            case 0: what = "func \(e.index < funcTypes.count ? signature(funcTypes[e.index]) : "?")"
            case 1: what = e.index < tables.count ? tables[e.index] : "table"
            case 2: what = e.index < memories.count ? memories[e.index] : "memory"
            case 3: what = e.index < globals.count ? globals[e.index] : "global"
            case 4: what = e.index < tags.count ? tags[e.index] : "tag"
            default: what = "kind \(e.kind)"
            }
            text += "  \(e.name): \(what)\n"
        }
        return text
    }

    // MARK: reading

    /// A value kind and its type key: the key where it has one (typed references).
    private mutating func valueType() throws(InspectError) -> String {
        let kind = try b()
        let key = try s()
        return key.isEmpty ? Self.kindName(kind) : key
    }

    private mutating func b() throws(InspectError) -> UInt8 {
        guard position < blob.endIndex else { throw InspectError("metadata is truncated") }
        defer { position += 1 }
        return blob[position]
    }

    private mutating func u() throws(InspectError) -> UInt64 {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let byte = try b()
            guard shift < 64 else { throw InspectError("metadata: number too long") }
            value |= UInt64(byte & 0x7f) << shift
            if byte & 0x80 == 0 { return value }
            shift += 7
        }
    }

    /// A count, capped by the bytes left (each entry takes at least one).
    private mutating func count() throws(InspectError) -> Int {
        let n = try u()
        guard n <= UInt64(blob.endIndex - position) else { throw InspectError("metadata is truncated") }
        return Int(n)
    }

    private mutating func s() throws(InspectError) -> String {
        let n = try count()
        defer { position += n }
        return String(decoding: blob[position..<position + n], as: UTF8.self)
    }
}
