import CLLVM
import Foundation
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

    public init(
        optimizationLevel: Int = 2, boundsChecks: BoundsChecks = .guardPages, target: Target? = nil,
        output: Output = .sharedObject
    ) {
        self.optimizationLevel = optimizationLevel
        self.boundsChecks = boundsChecks
        self.target = target
        self.output = output
    }

    var summary: String {
        "-O\(optimizationLevel) --bounds-checks \(boundsChecks.rawValue)"
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

    public var description: String {
        switch self {
        case .module(let error): return error.description
        case .codegen(let error): return error.description
        case .target(let error): return error.description
        case .backend(let message): return "backend: \(message)"
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
    public static func check(_ wasm: [UInt8]) throws(CompileError) -> ModuleInfo {
        let module: ModuleInfo
        do {
            module = try decodeModule(wasm)
            try validateModule(module)
        } catch {
            throw .module(error)
        }
        return module
    }

    /// Compiles `wasm` to a shared object at `outputPath` (or what `options.output` asks for).
    public func compile(_ wasm: [UInt8], to outputPath: String) throws(CompileError) {
        let target = options.target ?? Target.host
        let required: String
        do {
            try target.validate()
            required = try target.requiredFeatures()
        } catch {
            throw .target(error)
        }
        let module = try Self.check(wasm)
        // The loader checks the recorded features against the CPU it runs on (wasmc_abi.h).
        let record = CompileRecord(
            targetTriple: target.triple, cpu: target.cpu, cpuFeatures: required,
            options: options.summary, wasmHash: ContentHash.sha256Hex(wasm),
            explicitBoundsChecks: options.boundsChecks == .explicit)
        let ir: IRModule
        do {
            ir = try ModuleCompiler(module: module, record: record).generate()
        } catch {
            throw .codegen(error)
        }
        if let problem = ir.verify() {
            throw .codegen(CodegenError("LLVM verifier: \(problem)"))
        }
        let machine = try TargetMachine(target: target, optimizationLevel: options.optimizationLevel)
        machine.adopt(ir.module)
        try machine.optimize(ir.module, level: options.optimizationLevel)
        switch options.output {
        case .sharedObject:
            try Linker.linkSharedObject(object: try machine.emitObject(ir.module), output: outputPath)
        case .object:
            try Linker.write(try machine.emitObject(ir.module), to: outputPath)
        case .assembly:
            try Linker.write(try machine.emitObject(ir.module, assembly: true), to: outputPath)
        case .llvmIR:
            try Linker.write(Data(ir.printIR().utf8), to: outputPath)
        }
    }
}
