import CLLVM
import CLLVMPasses
import Foundation

enum LLVMSupport {
    private static let once: Void = {
        LLVMInitializeAllTargetInfos()
        LLVMInitializeAllTargets()
        LLVMInitializeAllTargetMCs()
        LLVMInitializeAllAsmPrinters()
        LLVMInitializeAllAsmParsers()
        // WASMC_LLVM_ARGS: options for LLVM itself, as `clang -mllvm` passes them (words
        // separated by spaces; e.g. -post-RA-scheduler=false), to try LLVM's knobs out.
        if let text = ProcessInfo.processInfo.environment["WASMC_LLVM_ARGS"] {
            let arguments = ["wasmc"] + text.split(separator: " ").map(String.init)
            var pointers = arguments.map { strdup($0) }
            defer { pointers.forEach { free($0) } }
            pointers.withUnsafeMutableBufferPointer { buffer in
                buffer.baseAddress!.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: buffer.count) {
                    LLVMParseCommandLineOptions(Int32(buffer.count), $0, "wasmc")
                }
            }
        }
    }()

    static func initialize() { _ = once }
}

/// An LLVM target machine for one `Target` and optimization level. Threads share it read-only:
/// `compilePart` makes a copy of its own for each part.
final class TargetMachine: @unchecked Sendable {
    let machine: LLVMTargetMachineRef
    let target: Target

    init(target: Target, optimizationLevel: Int) throws(CompileError) {
        LLVMSupport.initialize()
        var llvmTarget: LLVMTargetRef?
        var message: UnsafeMutablePointer<CChar>?
        if LLVMGetTargetFromTriple(target.triple, &llvmTarget, &message) != 0 {
            let text = message.map { String(cString: $0) } ?? "unknown target"
            if let message { LLVMDisposeMessage(message) }
            throw CompileError.backend("target \(target.triple): \(text)")
        }
        let options = LLVMCreateTargetMachineOptions()!
        defer { LLVMDisposeTargetMachineOptions(options) }
        LLVMTargetMachineOptionsSetCPU(options, target.cpu)
        LLVMTargetMachineOptionsSetFeatures(options, target.features)
        LLVMTargetMachineOptionsSetRelocMode(options, LLVMRelocPIC)
        let level: LLVMCodeGenOptLevel
        switch optimizationLevel {
        case 0: level = LLVMCodeGenLevelNone
        case 1: level = LLVMCodeGenLevelLess
        case 2: level = LLVMCodeGenLevelDefault
        default: level = LLVMCodeGenLevelAggressive
        }
        LLVMTargetMachineOptionsSetCodeGenOptLevel(options, level)
        guard let machine = LLVMCreateTargetMachineWithOptions(llvmTarget, target.triple, options) else {
            throw CompileError.backend("cannot create a target machine for \(target.triple) cpu \(target.cpu)")
        }
        // -O1 trades code speed for compile time: FastISel picks instructions one IR
        // instruction at a time instead of by DAG (Documentation/codegen.md).
        if optimizationLevel == 1 { LLVMSetTargetMachineFastISel(machine, 1) }
        self.machine = machine
        self.target = target
    }

    deinit { LLVMDisposeTargetMachine(machine) }

    /// Sets the module's triple and data layout to this machine's.
    func adopt(_ module: LLVMModuleRef) {
        LLVMSetTarget(module, target.triple)
        let layout = LLVMCreateTargetDataLayout(machine)
        LLVMSetModuleDataLayout(module, layout)
        LLVMDisposeTargetData(layout)
    }

    /// Runs the pipeline of -O`level` (Sources/CLLVMPasses/Pipeline.cpp; -O0 still promotes the
    /// allocas that carry locals and block values to registers).
    func optimize(_ module: LLVMModuleRef, level: Int) throws(CompileError) {
        if let message = wasmc_llvm_optimize(module, machine, Int32(level), Self.wasmcPasses) {
            defer { free(message) }
            throw CompileError.backend("LLVM passes failed: \(String(cString: message))")
        }
    }

    /// wasmc's own passes (WASMC_PASS_* flags), each of which can be left out through the
    /// environment, to compare (Documentation/codegen.md).
    static var wasmcPasses: UInt32 {
        let environment = ProcessInfo.processInfo.environment
        var passes: UInt32 = 0
        if environment["WASMC_NO_REROLL"] == nil { passes |= UInt32(WASMC_PASS_LOOP_REROLL) }
        if environment["WASMC_NO_JAM"] == nil { passes |= UInt32(WASMC_PASS_LOOP_JAM) }
        if environment["WASMC_NO_DEVECTORIZE"] == nil { passes |= UInt32(WASMC_PASS_LOOP_DEVECTORIZE) }
        if environment["WASMC_NO_LOOP_GROUPS"] == nil { passes |= UInt32(WASMC_PASS_LOOP_ALIAS_GROUPS) }
        return passes
    }

    /// Optimizes `module` at -O`level` and emits it as an object file, with a target machine of
    /// its own for that level: threads may compile modules of contexts of their own at once
    /// (Sources/CLLVMPasses/PartCodegen.cpp).
    func compilePart(_ module: LLVMModuleRef, level: Int) throws(CompileError) -> Data {
        adopt(module)
        var object = wasmc_object()
        if let message = wasmc_llvm_compile_part(module, machine, Int32(level), Self.wasmcPasses, &object) {
            defer { free(message) }
            throw CompileError.backend("code generation failed: \(String(cString: message))")
        }
        defer { free(object.bytes) }
        return Data(bytes: object.bytes, count: object.size)
    }

    /// Emits an object file (or, with `assembly`, assembly text) for the module.
    func emitObject(_ module: LLVMModuleRef, assembly: Bool = false) throws(CompileError) -> Data {
        var buffer: LLVMMemoryBufferRef?
        var message: UnsafeMutablePointer<CChar>?
        let kind = assembly ? LLVMAssemblyFile : LLVMObjectFile
        if LLVMTargetMachineEmitToMemoryBuffer(machine, module, kind, &message, &buffer) != 0 {
            let text = message.map { String(cString: $0) } ?? "unknown error"
            if let message { LLVMDisposeMessage(message) }
            throw CompileError.backend("object emission failed: \(text)")
        }
        defer { LLVMDisposeMemoryBuffer(buffer) }
        let start = LLVMGetBufferStart(buffer)!
        return Data(bytes: start, count: LLVMGetBufferSize(buffer))
    }
}
