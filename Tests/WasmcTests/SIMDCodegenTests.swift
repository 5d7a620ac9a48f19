import Foundation
import WAT
import WasmcBackend
import Testing

/// Golden tests of the SIMD lowering: representative wasm SIMD instructions must become single
/// native vector instructions (or short sequences) on x86-64 with AVX2, read off the disassembled
/// .so. The target is fixed (x86-64-v3), so these tests check the same code on any host.
@Suite("SIMD code on x86-64-v3")
struct SIMDCodegenTests {
    /// One wasm function per case: its body, the instructions its code must contain, and the
    /// most vector instructions it may use.
    struct Case {
        var name: String
        var body: String
        var params = "(param v128 v128)"
        var result = "(result v128)"
        var mustContain: [String]
        var maxVectorInstructions: Int
    }

    static let cases: [Case] = [
        Case(name: "i32x4.add", body: "(i32x4.add (local.get 0) (local.get 1))", mustContain: ["vpaddd"], maxVectorInstructions: 1),
        Case(name: "f32x4.mul", body: "(f32x4.mul (local.get 0) (local.get 1))", mustContain: ["vmulps"], maxVectorInstructions: 1),
        Case(name: "i8x16.shuffle (interleave)",
             body: "(i8x16.shuffle 0 16 1 17 2 18 3 19 4 20 5 21 6 22 7 23 (local.get 0) (local.get 1))",
             mustContain: ["vpunpcklbw"], maxVectorInstructions: 1),
        Case(name: "i8x16.shuffle (reverse)",
             body: "(i8x16.shuffle 15 14 13 12 11 10 9 8 7 6 5 4 3 2 1 0 (local.get 0) (local.get 1))",
             mustContain: ["vpshufb"], maxVectorInstructions: 1),
        Case(name: "i32x4.dot_i16x8_s", body: "(i32x4.dot_i16x8_s (local.get 0) (local.get 1))", mustContain: ["vpmaddwd"], maxVectorInstructions: 1),
        // min/max need NaN propagation and -0 < +0, which minps lacks: a short blend sequence.
        Case(name: "f32x4.min", body: "(f32x4.min (local.get 0) (local.get 1))", mustContain: ["vminps"], maxVectorInstructions: 8),
        Case(name: "f32x4.pmin", body: "(f32x4.pmin (local.get 0) (local.get 1))", mustContain: ["vminps"], maxVectorInstructions: 1),
        Case(name: "i8x16.swizzle", body: "(i8x16.swizzle (local.get 0) (local.get 1))", mustContain: ["vpshufb"], maxVectorInstructions: 2),
        Case(name: "i16x8.q15mulr_sat_s", body: "(i16x8.q15mulr_sat_s (local.get 0) (local.get 1))", mustContain: ["vpmulhrsw"], maxVectorInstructions: 3),
        Case(name: "i8x16.narrow_i16x8_s", body: "(i8x16.narrow_i16x8_s (local.get 0) (local.get 1))", mustContain: ["vpacksswb"], maxVectorInstructions: 1),
        Case(name: "i8x16.bitmask", body: "(i8x16.bitmask (local.get 0))", params: "(param v128)", result: "(result i32)",
             mustContain: ["vpmovmskb"], maxVectorInstructions: 1),
        Case(name: "i8x16.avgr_u", body: "(i8x16.avgr_u (local.get 0) (local.get 1))", mustContain: ["vpavgb"], maxVectorInstructions: 1),
        Case(name: "i16x8.add_sat_s", body: "(i16x8.add_sat_s (local.get 0) (local.get 1))", mustContain: ["vpaddsw"], maxVectorInstructions: 1),
        Case(name: "f64x2.sqrt", body: "(f64x2.sqrt (local.get 0))", params: "(param v128)", mustContain: ["vsqrtpd"], maxVectorInstructions: 1),
        Case(name: "f32x4.nearest", body: "(f32x4.nearest (local.get 0))", params: "(param v128)", mustContain: ["vroundps"], maxVectorInstructions: 1),
        Case(name: "i32x4.extend_low_i16x8_s", body: "(i32x4.extend_low_i16x8_s (local.get 0))", params: "(param v128)",
             mustContain: ["vpmovsxwd"], maxVectorInstructions: 1),
        Case(name: "v128.bitselect", body: "(v128.bitselect (local.get 0) (local.get 1) (local.get 1))", mustContain: [], maxVectorInstructions: 3),
    ]

    @Test("representative operations become native vector instructions")
    func representativeOperations() throws {
        let functions = Self.cases.map { "(func (export \"f\") \($0.params) \($0.result) \($0.body))" }
        // Export names must differ; the symbol of function i is `wasm:f<i>`.
        let text = "(module\n" + functions.enumerated().map { $1.replacingOccurrences(of: "\"f\"", with: "\"f\($0)\"") }.joined(separator: "\n") + ")"
        let disassembly = try Self.disassemble(try wat2wasm(text), target: Target(triple: "x86_64-unknown-linux-gnu", cpu: "x86-64-v3", features: "+avx2,+ssse3,+sse4.1,+sse4.2,+fma"))
        for (index, testCase) in Self.cases.enumerated() {
            guard let body = disassembly["wasm:f\(index)"] else {
                Issue.record("\(testCase.name): no symbol wasm:f\(index) in the disassembly")
                continue
            }
            let vector = body.filter(Self.isVectorInstruction)
            for mnemonic in testCase.mustContain {
                #expect(vector.contains(mnemonic), "\(testCase.name): expected \(mnemonic), got \(vector)")
            }
            #expect(vector.count <= testCase.maxVectorInstructions, "\(testCase.name): \(vector)")
            // No lane-by-lane fallback: no element moves between vector and general registers.
            #expect(!vector.contains { $0.hasPrefix("vpextr") || $0.hasPrefix("vpinsr") }, "\(testCase.name): \(vector)")
        }
    }

    /// Relaxed SIMD: each instruction on its operands `local.get 0...n-1`, the instruction's
    /// sub-opcode after 0xFD, the mnemonic prefixes its code must contain, and the most vector
    /// instructions it may use (Documentation/codegen.md, "Relaxed SIMD": the x86 choices).
    static let relaxedCases: [(name: String, operands: Int, subOpcode: UInt32, mustContain: [String], maxVectorInstructions: Int)] = [
        ("i8x16.relaxed_swizzle", 2, 0x100, ["vpshufb"], 1),
        ("i32x4.relaxed_trunc_f32x4_s", 1, 0x101, ["vcvttps2dq"], 1),
        ("i32x4.relaxed_trunc_f64x2_s_zero", 1, 0x103, ["vcvttpd2dq"], 1),
        // The fused instruction overwrites an operand: one register move to the result.
        ("f32x4.relaxed_madd", 3, 0x105, ["vfmadd"], 2),
        ("f64x2.relaxed_nmadd", 3, 0x108, ["vfnmadd"], 2),
        ("i32x4.relaxed_laneselect", 3, 0x10B, [], 3),
        ("f32x4.relaxed_min", 2, 0x10D, ["vminps"], 1),
        ("f64x2.relaxed_max", 2, 0x110, ["vmaxpd"], 1),
        ("i16x8.relaxed_q15mulr_s", 2, 0x111, ["vpmulhrsw"], 1),
        ("i16x8.relaxed_dot_i8x16_i7x16_s", 2, 0x112, ["vpmaddubsw"], 1),
        ("i32x4.relaxed_dot_i8x16_i7x16_add_s", 3, 0x113, ["vpmaddubsw", "vpmaddwd", "vpaddd"], 4),
    ]

    @Test("relaxed SIMD takes the cheapest allowed x86 instruction")
    func relaxedOperations() throws {
        // WasmKit's text parser predates relaxed SIMD: the module is assembled here, every
        // function of type (v128 v128 v128) -> v128, exported as f<i>.
        func leb(_ value: UInt32) -> [UInt8] { leb128(Int(value)) }
        func section(_ id: UInt8, _ items: [[UInt8]]) -> [UInt8] {
            let contents = leb(UInt32(items.count)) + items.flatMap { $0 }
            return [id] + leb(UInt32(contents.count)) + contents
        }
        let cases = Self.relaxedCases
        var wasm: [UInt8] = [0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00]
        wasm += section(1, [[0x60, 0x03, 0x7B, 0x7B, 0x7B, 0x01, 0x7B]])
        wasm += section(3, cases.map { _ in [0x00] })
        wasm += section(7, cases.indices.map { i in let name = Array("f\(i)".utf8); return leb(UInt32(name.count)) + name + [0x00] + leb(UInt32(i)) })
        wasm += section(10, cases.map { testCase in
            let body = [0x00] + (0..<testCase.operands).flatMap { [0x20, UInt8($0)] } + [0xFD] + leb(testCase.subOpcode) + [0x0B]
            return leb(UInt32(body.count)) + body
        })
        let disassembly = try Self.disassemble(wasm, target: Target(triple: "x86_64-unknown-linux-gnu", cpu: "x86-64-v3", features: "+avx2,+ssse3,+sse4.1,+sse4.2,+fma"))
        for (index, testCase) in cases.enumerated() {
            guard let body = disassembly["wasm:f\(index)"] else {
                Issue.record("\(testCase.name): no symbol wasm:f\(index) in the disassembly")
                continue
            }
            let vector = body.filter(Self.isVectorInstruction)
            for prefix in testCase.mustContain {
                #expect(vector.contains { $0.hasPrefix(prefix) }, "\(testCase.name): expected \(prefix)..., got \(vector)")
            }
            #expect(vector.count <= testCase.maxVectorInstructions, "\(testCase.name): \(vector)")
        }
    }

    /// AVX instructions (VEX-encoded: their mnemonics start with "v", vzeroupper excluded).
    static func isVectorInstruction(_ mnemonic: String) -> Bool {
        mnemonic.hasPrefix("v") && mnemonic != "vzeroupper"
    }

    /// Compiles `wasm` for `target` and disassembles it: the mnemonics of each function symbol.
    static func disassemble(_ wasm: [UInt8], target: Target) throws -> [String: [String]] {
        let listing = try withTemporaryDirectory { directory in
            let output = directory.appendingPathComponent("golden.so").path
            try Compiler(options: CompileOptions(target: target)).compile(wasm, to: output)

            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/llvm-objdump-19")
            process.arguments = ["-d", "--no-show-raw-insn", "--no-addresses", output]
            let pipe = Pipe()
            process.standardOutput = pipe
            try process.run()
            let listing = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            #expect(process.terminationStatus == 0, "llvm-objdump-19 failed")
            return listing
        }

        var functions: [String: [String]] = [:]
        var current: String?
        for line in listing.split(separator: "\n") {
            if line.hasPrefix("<"), line.hasSuffix(">:") {
                current = String(line.dropFirst().dropLast(2))
            } else if let current, let mnemonic = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).first {
                functions[current, default: []].append(String(mnemonic))
            }
        }
        return functions
    }
}
