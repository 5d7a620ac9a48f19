import Foundation
import Testing
import Wasmc
import WasmcCompiler
import WasmcBackend
import WasmcRuntime
import WAT

/// Data segments live in the data image and are mapped into memories copy-on-write
/// (Runtime/src/data.c): every layout must leave the memory exactly as copying did, and writes
/// must stay with the instance that made them.
@Suite struct DataImageTests {
    /// A module of one memory (defined, or imported as env.mem) and data segments, built as a
    /// binary (the segments are too large for text). It exports the memory as "mem", and for
    /// each passive segment k `init<k>(dst, src, n)` (memory.init) and `drop<k>()` (data.drop).
    struct DataModule {
        enum Offset {
            case constant(UInt32)
            /// global.get of the imported i32 env.base, decided at instantiation.
            case importedGlobal
        }
        enum Segment {
            case active(Offset, [UInt8])
            case passive([UInt8])
        }

        var pages: UInt32
        var importsMemory = false
        var segments: [Segment]

        var usesImportedGlobal: Bool {
            segments.contains { if case .active(.importedGlobal, _) = $0 { return true } else { return false } }
        }
        var passiveIndices: [Int] {
            segments.indices.filter { if case .passive = segments[$0] { return true } else { return false } }
        }

        func binary() -> [UInt8] {
            func section(_ id: UInt8, _ payload: [UInt8]) -> [UInt8] { [id] + leb128(payload.count) + payload }
            func vector(_ items: [[UInt8]]) -> [UInt8] { leb128(items.count) + items.flatMap { $0 } }
            func name(_ text: String) -> [UInt8] { leb128(text.utf8.count) + Array(text.utf8) }
            let passive = passiveIndices
            // Types: 0 (i32 i32 i32) -> (), 1 () -> ().
            var module: [UInt8] = [0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00]
            module += section(1, vector([[0x60, 0x03, 0x7F, 0x7F, 0x7F, 0x00], [0x60, 0x00, 0x00]]))
            var imports: [[UInt8]] = []
            if importsMemory { imports.append(name("env") + name("mem") + [0x02, 0x00] + leb128(Int(pages))) }
            if usesImportedGlobal { imports.append(name("env") + name("base") + [0x03, 0x7F, 0x00]) }
            if !imports.isEmpty { module += section(2, vector(imports)) }
            module += section(3, vector(passive.flatMap { _ in [[0x00], [0x01]] }))
            if !importsMemory { module += section(5, vector([[0x00] + leb128(Int(pages))])) }
            var exports: [[UInt8]] = [name("mem") + [0x02, 0x00]]
            for (k, segment) in passive.enumerated() {
                exports.append(name("init\(segment)") + [0x00] + leb128(2 * k))
                exports.append(name("drop\(segment)") + [0x00] + leb128(2 * k + 1))
            }
            module += section(7, vector(exports))
            module += section(12, leb128(segments.count))
            var bodies: [[UInt8]] = []
            for segment in passive {
                let initBody: [UInt8] = [0x00, 0x20, 0x00, 0x20, 0x01, 0x20, 0x02, 0xFC, 0x08] + leb128(segment) + [0x00, 0x0B]
                let dropBody: [UInt8] = [0x00, 0xFC, 0x09] + leb128(segment) + [0x0B]
                bodies += [leb128(initBody.count) + initBody, leb128(dropBody.count) + dropBody]
            }
            module += section(10, vector(bodies))
            module += section(11, vector(segments.map { segment in
                switch segment {
                case .active(.constant(let offset), let bytes):
                    return [0x00, 0x41] + signedLEB(Int64(Int32(bitPattern: offset))) + [0x0B] + leb128(bytes.count) + bytes
                case .active(.importedGlobal, let bytes):
                    return [0x00, 0x23, 0x00, 0x0B] + leb128(bytes.count) + bytes
                case .passive(let bytes):
                    return [0x01] + leb128(bytes.count) + bytes
                }
            }))
            return module
        }

        /// The memory after instantiation, as the spec's copies make it (nil: it traps at the
        /// segment that does not fit, leaving `applied` with the segments before it).
        func expectedMemory(base: UInt32 = 0) -> (memory: [UInt8], trapsAt: Int?) {
            var memory = [UInt8](repeating: 0, count: Int(pages) * 65536)
            for (index, segment) in segments.enumerated() {
                guard case .active(let offset, let bytes) = segment else { continue }
                let start: Int
                switch offset {
                case .constant(let value): start = Int(value)
                case .importedGlobal: start = Int(base)
                }
                if start + bytes.count > memory.count { return (memory, index) }
                memory.replaceSubrange(start..<start + bytes.count, with: bytes)
            }
            return (memory, nil)
        }
    }

    /// `count` bytes no two of whose 4 KiB pages are alike.
    static func bytes(_ count: Int, seed: UInt32) -> [UInt8] {
        var state = seed &* 2_654_435_761 | 1
        return (0..<count).map { _ in
            state ^= state << 13
            state ^= state >> 17
            state ^= state << 5
            return UInt8(truncatingIfNeeded: state)
        }
    }

    static func instantiate(
        _ module: CompiledModule, store: Store = Store(), base: UInt32? = nil, memory: Memory? = nil
    ) throws -> Instance {
        try Instance(module: module, store: store) { request in
            switch request.name {
            case "base": return .global(Global(value: .i32(Int32(bitPattern: base ?? 0)), mutable: false))
            case "mem": return memory.map { .memory($0) }
            default: return nil
            }
        }
    }

    static func contents(_ memory: Memory) -> [UInt8] {
        memory.withUnsafeMutableBytes { Array($0) }
    }

    /// File mappings (an inode behind them) inside the memory: the pages mapped, not copied.
    static func fileMappings(in memory: Memory) throws -> Int {
        let (start, end) = memory.withUnsafeMutableBytes { (UInt(bitPattern: $0.baseAddress), UInt(bitPattern: $0.baseAddress) + UInt($0.count)) }
        let maps = try String(contentsOfFile: "/proc/self/maps", encoding: .utf8)
        return maps.split(separator: "\n").filter { line in
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 5, fields[4] != "0" else { return false }
            let range = fields[0].split(separator: "-").compactMap { UInt($0, radix: 16) }
            return range.count == 2 && range[0] >= start && range[1] <= end
        }.count
    }

    /// The layouts a producer makes, in one module: page-aligned and unaligned offsets, a small
    /// segment overwriting a large one, large ones overlapping, many small ones, a passive one.
    static let layouts = DataModule(pages: 64, segments: [
        .active(.constant(0), bytes(1 << 20, seed: 1)),
        .active(.constant(0x20_0000 + 0x1235), bytes(600_001, seed: 2)),
        .active(.constant(0x20_0000 + 0x5000), bytes(100, seed: 3)),
        .active(.constant(0x0F_0000), bytes(300_000, seed: 4)),
    ] + (0..<40).map { .active(.constant(0x30_0000 + 1_500 * UInt32($0)), bytes(1_000, seed: 10 + UInt32($0))) } + [
        .passive(bytes(512 << 10, seed: 5)),
        .active(.constant(0x38_0000), bytes(256 << 10, seed: 6)),
    ])

    @Test(arguments: [CompileOptions.BoundsChecks.guardPages, .explicit])
    func layoutsLeaveTheMemoryAsCopiesWould(boundsChecks: CompileOptions.BoundsChecks) throws {
        let module = try CompiledModule(wasm: Self.layouts.binary(), options: CompileOptions(boundsChecks: boundsChecks))
        let instance = try Self.instantiate(module)
        let memory = try #require(instance.memory("mem"))
        #expect(Self.contents(memory) == Self.layouts.expectedMemory().memory)
        // The large segments' whole pages are mapped (segments 0, 1, 3 and the last).
        #expect(try Self.fileMappings(in: memory) >= 4)
    }

    @Test func writesStayWithTheirInstance() throws {
        let module = try CompiledModule(wasm: Self.layouts.binary())
        let expected = Self.layouts.expectedMemory().memory
        let store = Store()
        let first = try Self.instantiate(module, store: store)
        let second = try Self.instantiate(module, store: store)
        let one = try #require(first.memory("mem")), two = try #require(second.memory("mem"))
        try one.write(offset: 0x1000, bytes: [1, 2, 3, 4])
        try one.write(offset: 0x20_1240, bytes: [9])
        #expect(try two.read(offset: 0x1000, count: 4) == Array(expected[0x1000..<0x1004]))
        #expect(try one.read(offset: 0x1000, count: 4) == [1, 2, 3, 4])
        // Growing keeps the mapped pages and adds zeroed ones; bounds still trap.
        #expect(one.grow(by: 2) == 64)
        #expect(try one.read(offset: 0x20_1240, count: 1) == [9])
        #expect(try one.read(offset: 64 * 65536, count: 16) == [UInt8](repeating: 0, count: 16))
        #expect(trapOf { try one.read(offset: 66 * 65536, count: 1) } == .memoryOutOfBounds)
        #expect(Self.contents(two) == expected)
        // A new instance after the first is gone starts from the data again.
        _ = consume first
        let third = try Self.instantiate(module, store: store)
        #expect(Self.contents(try #require(third.memory("mem"))) == expected)
    }

    @Test(arguments: [UInt32(0x4_0000), 0x4_0001, 0x4_0FFF])
    func offsetFromAnImportedGlobal(base: UInt32) throws {
        let layout = DataModule(pages: 16, segments: [
            .active(.constant(0x1_0000), Self.bytes(0x4_0000, seed: 7)),
            .active(.importedGlobal, Self.bytes(0x5_0000, seed: 8)),
        ])
        let module = try CompiledModule(wasm: layout.binary())
        let memory = try #require(try Self.instantiate(module, base: base).memory("mem"))
        #expect(Self.contents(memory) == layout.expectedMemory(base: base).memory)
    }

    @Test func aSegmentPastTheEndTrapsAndMapsNothing() throws {
        let layout = DataModule(pages: 8, importsMemory: true, segments: [
            .active(.constant(0), Self.bytes(0x4_0000, seed: 11)),
            .active(.constant(0x5_0000), Self.bytes(0x4_0000, seed: 12)),  // ends 0x10000 past 8 pages
        ])
        let module = try CompiledModule(wasm: layout.binary())
        let memory = try Memory(minPages: 8)
        #expect(throws: WasmcError.self) { try Self.instantiate(module, memory: memory) }
        let (expected, trapsAt) = layout.expectedMemory()
        #expect(trapsAt == 1)
        #expect(Self.contents(memory) == expected)
        #expect(try Self.fileMappings(in: memory) == 1)
    }

    @Test func passiveSegmentsReadTheSameImage() throws {
        let passive = Self.bytes(0x6_0000, seed: 13)
        let layout = DataModule(pages: 16, segments: [.passive(passive)])
        let module = try CompiledModule(wasm: layout.binary())
        let instance = try Self.instantiate(module)
        let memory = try #require(instance.memory("mem"))
        var expected = [UInt8](repeating: 0, count: 16 * 65536)
        // Aligned alike in the file and the memory (mapped), and not (copied).
        for (dst, src, n) in [(0x1_0000, 0, 0x6_0000), (0x8_0123, 0x123, 0x3_0000), (0xC_0000, 0x777, 0x2_1111)] {
            _ = try instance.call("init0", [.i32(Int32(dst)), .i32(Int32(src)), .i32(Int32(n))])
            expected.replaceSubrange(dst..<dst + n, with: passive[src..<src + n])
        }
        #expect(Self.contents(memory) == expected)
        #expect(trapOf { try instance.call("init0", [.i32(0xF_0000), .i32(0), .i32(0x2_0000)]) } == .memoryOutOfBounds)
        _ = try instance.call("drop0", [])
        #expect(trapOf { try instance.call("init0", [.i32(0), .i32(0), .i32(1)]) } == .memoryOutOfBounds)
        #expect(trapOf { try instance.call("init0", [.i32(0), .i32(0), .i32(0)]) } == nil)
        #expect(Self.contents(memory) == expected)
    }

    // MARK: Data files

    /// Compiles `binary` to model.so and model.wdata in `directory`.
    static func compileWithDataFile(_ binary: [UInt8], in directory: URL) throws -> (so: String, data: String) {
        let so = directory.appendingPathComponent("model.so").path
        var options = CompileOptions()
        options.dataFile = directory.appendingPathComponent("model.wdata").path
        try Compiler(options: options).compile(binary, to: so)
        return (so, options.dataFile!)
    }

    @Test func aDataFileBesideTheSharedObject() throws {
        try withTemporaryDirectory { directory in
            let (so, _) = try Self.compileWithDataFile(Self.layouts.binary(), in: directory)
            // The .so has no data image: its code, and the wasm it carries (which holds the
            // segments' bytes once more, compressed: Documentation/artifacts.md).
            let size = try #require(try FileManager.default.attributesOfItem(atPath: so)[.size] as? Int)
            let wasm = try CompiledModule(inspecting: so).embeddedWasm
            #expect(wasm.count == 1 && size < (1 << 20) + Int(wasm[0].compressedSize))
            #expect(try CompiledModule(inspecting: so).dataSegments.file == "model.wdata")
            let module = try CompiledModule(path: so)
            let memory = try #require(try Self.instantiate(module).memory("mem"))
            #expect(Self.contents(memory) == Self.layouts.expectedMemory().memory)
            #expect(try Self.fileMappings(in: memory) >= 4)
        }
    }

    /// What loading says of a data file that is not the .so's: one line naming the segment.
    @Test func aWrongDataFileIsRefused() throws {
        try withTemporaryDirectory { directory in
            let (so, data) = try Self.compileWithDataFile(Self.layouts.binary(), in: directory)
            let good = try Data(contentsOf: URL(fileURLWithPath: data))
            func refusal() -> String? {
                do {
                    _ = try CompiledModule(path: so)
                    return nil
                } catch {
                    return error.message
                }
            }
            try FileManager.default.removeItem(atPath: data)
            #expect(refusal()?.contains("cannot open the data file \(directory.path)/model.wdata: No such file") == true)
            try good.prefix(good.count - 100).write(to: URL(fileURLWithPath: data))
            #expect(refusal()?.contains("is short: \(good.count - 100) bytes, its header says \(good.count)") == true)
            var altered = good
            altered[altered.count - 10] ^= 1  // in the last segment
            try altered.write(to: URL(fileURLWithPath: data))
            let message = refusal()
            #expect(message?.contains("data segment 45 in data file") == true && message?.contains("is altered") == true)
            #expect(message?.contains("\n") == false)
            // Another module's data file: its segments do not match.
            let other = DataModule(pages: 1, segments: [.active(.constant(0), [1, 2, 3])])
            var options = CompileOptions()
            options.dataFile = directory.appendingPathComponent("other.wdata").path
            try Compiler(options: options).compile(other.binary(), to: directory.appendingPathComponent("other.so").path)
            try FileManager.default.removeItem(atPath: data)
            try FileManager.default.copyItem(atPath: options.dataFile!, toPath: data)
            #expect(refusal()?.contains("holds 1 data segments, the module has 46") == true)
            // The right file again, named explicitly from elsewhere.
            let moved = directory.appendingPathComponent("elsewhere.wdata").path
            try good.write(to: URL(fileURLWithPath: moved))
            #expect(throws: Never.self) { _ = try CompiledModule(path: so, dataPath: moved) }
        }
    }

    /// The data file is the same for every target, and the same bytes the .so embeds.
    @Test func oneDataFileServesEveryTarget() throws {
        try withTemporaryDirectory { directory in
            var files: [Data] = []
            for triple in ["x86_64-linux-gnu", "aarch64-linux-gnu", "riscv64-linux-gnu"] {
                var options = CompileOptions(target: try Target.resolve(triple: triple, cpu: "generic"))
                options.dataFile = directory.appendingPathComponent("\(triple).wdata").path
                try Compiler(options: options).compile(Self.layouts.binary(), to: directory.appendingPathComponent("\(triple).so").path)
                files.append(try Data(contentsOf: URL(fileURLWithPath: options.dataFile!)))
            }
            #expect(files[0] == files[1] && files[1] == files[2])
            let embedded = directory.appendingPathComponent("embedded.so").path
            try Compiler().compile(Self.layouts.binary(), to: embedded)
            let so = try Data(contentsOf: URL(fileURLWithPath: embedded))
            #expect(so.range(of: files[0]) != nil)
        }
    }

    @Test func theHashSeesEveryByte() {
        let bytes = Self.bytes(1000, seed: 99)
        let hash = bytes.withUnsafeBytes { wasmc_data_hash($0.baseAddress, 1000) }
        for length in [0, 1, 7, 8, 31, 32, 33, 999] {
            #expect(bytes.withUnsafeBytes { wasmc_data_hash($0.baseAddress, UInt64(length)) } != hash)
        }
        for position in [0, 5, 31, 32, 500, 996, 999] {
            var changed = bytes
            changed[position] ^= 0x80
            #expect(changed.withUnsafeBytes { wasmc_data_hash($0.baseAddress, 1000) } != hash)
        }
    }
}

/// `CompileOptions.embeddedDirectories` refuses what cannot be embedded, naming it.
@Suite struct EmbeddedDirectoryTests {
    func refusal(_ directories: [EmbeddedDirectory]) -> String? {
        var options = CompileOptions()
        options.embeddedDirectories = directories
        do {
            try withTemporaryDirectory { directory in
                _ = try Compiler(options: options).compile(try wat2wasm("(module)"), to: directory.appendingPathComponent("m.so").path)
            }
            return nil
        } catch {
            return String(describing: error)
        }
    }

    @Test func whatCannotBeEmbeddedIsRefused() throws {
        try withTemporaryDirectory { directory in
            let file = directory.appendingPathComponent("file.txt").path
            try Data("x".utf8).write(to: URL(fileURLWithPath: file))
            #expect(refusal([EmbeddedDirectory(host: file, guest: "/a")]) == "--embed-dir \(file): not a directory")
            #expect(refusal([EmbeddedDirectory(host: directory.path + "/missing", guest: "/a")])?.contains("not a directory") == true)
            #expect(refusal([EmbeddedDirectory(host: directory.path, guest: "/a"), EmbeddedDirectory(host: directory.path, guest: "/a")])?
                .contains("the guest name is taken") == true)
            let inner = directory.appendingPathComponent("inner")
            try FileManager.default.createDirectory(at: inner, withIntermediateDirectories: true)
            try FileManager.default.createSymbolicLink(atPath: inner.path + "/loop", withDestinationPath: inner.path)
            #expect(refusal([EmbeddedDirectory(host: inner.path, guest: "/a")])?.contains("is a symbolic link to a directory") == true)
            try FileManager.default.removeItem(atPath: inner.path + "/loop")
            #expect(refusal([EmbeddedDirectory(host: inner.path, guest: "/a")]) == nil)
        }
    }
}

/// A damaged data file is refused with a message, whatever the damage: never a crash, never a
/// module that loads with wrong bytes.
@Suite struct DamagedDataFileTests {
    /// xorshift64: random numbers that are the same every run.
    struct XorShift: RandomNumberGenerator {
        var state: UInt64
        init(seed: UInt64) { state = seed &* 0x9E37_79B9_7F4A_7C15 | 1 }
        mutating func next() -> UInt64 {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return state
        }
    }

    @Test func everyDamageIsRefusedOrHarmless() throws {
        try withTemporaryDirectory { directory in
            let tree = directory.appendingPathComponent("tree")
            try FileManager.default.createDirectory(at: tree.appendingPathComponent("sub"), withIntermediateDirectories: true)
            try Data("one".utf8).write(to: tree.appendingPathComponent("a.txt"))
            try Data(DataImageTests.bytes(5000, seed: 3)).write(to: tree.appendingPathComponent("sub/b.bin"))
            let layout = DataImageTests.DataModule(pages: 16, segments: [
                .active(.constant(0x1_0000), DataImageTests.bytes(0x4_0000, seed: 1)),
                .active(.constant(0x123), DataImageTests.bytes(3000, seed: 2)),
                .passive(DataImageTests.bytes(700, seed: 4)),
            ])
            let so = directory.appendingPathComponent("model.so").path
            let data = directory.appendingPathComponent("model.wdata").path
            var options = CompileOptions()
            options.dataFile = data
            options.embeddedDirectories = [EmbeddedDirectory(host: tree.path, guest: "/t")]
            try Compiler(options: options).compile(layout.binary(), to: so)
            let good = try Data(contentsOf: URL(fileURLWithPath: data))
            let expected = layout.expectedMemory().memory
            var generator = XorShift(seed: 18)  // the same damage every run
            var refused = 0, loaded = 0
            // Single bytes anywhere in the header, the tables and the paths, and in the bytes.
            let tables = 32 + 6 * 40 + 64
            let positions = (0..<400).map { _ in Int.random(in: 0..<tables, using: &generator) }
                + (0..<100).map { _ in Int.random(in: 0..<good.count, using: &generator) }
            for position in positions {
                var damaged = good
                damaged[position] ^= UInt8.random(in: 1...255, using: &generator)
                try damaged.write(to: URL(fileURLWithPath: data))
                guard let module = try? CompiledModule(path: so) else {
                    refused += 1
                    continue
                }
                // What loads must be what the module holds.
                loaded += 1
                let memory = try #require(try DataImageTests.instantiate(module).memory("mem"))
                #expect(DataImageTests.contents(memory) == expected, "byte \(position) changed, yet the module loaded other data")
            }
            // Truncated anywhere: always refused.
            for size in [0, 7, 31, 32, 100, tables, good.count / 2, good.count - 1] {
                try good.prefix(size).write(to: URL(fileURLWithPath: data))
                #expect(throws: WasmcError.self) { _ = try CompiledModule(path: so) }
            }
            // Only the padding between segments may change without a refusal.
            #expect(refused > 400, "\(refused) of \(positions.count) damages refused")
            #expect(loaded + refused == positions.count)
        }
    }
}
