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

/// An LLVM target machine for one `Target` and optimization level.
final class TargetMachine {
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

    /// How many parts `emitObjects` makes of the module (1: the module is too small to gain from
    /// more; the module alone decides, so the code does not depend on the threads). `optimized`:
    /// whether it was optimized already.
    func parts(of module: LLVMModuleRef, optimized: Bool) -> Int {
        Int(wasmc_llvm_codegen_parts(module, optimized ? 1 : 0))
    }

    /// Emits the module's code as object files, one per part (`parts(of:optimized:)`), the parts
    /// shared out among up to `threads` threads (Sources/CLLVMPasses/ParallelCodegen.cpp), to be
    /// linked together. With `optimizationLevel` above 0 the module is not optimized yet, and
    /// each part is optimized on its thread first, each function at its own level if it has one
    /// (`levelsDiffer`: some function has, see `ModuleCompiler.functionLevels`).
    func emitObjects(
        _ module: LLVMModuleRef, parts: Int, threads: Int, optimizationLevel: Int = 0, levelsDiffer: Bool = false,
        progress: (@Sendable (CompileProgress) -> Void)? = nil
    ) throws(CompileError) -> [Data] {
        if parts <= 1 && !levelsDiffer {
            if optimizationLevel > 0 { try optimize(module, level: optimizationLevel) }
            return [try emitObject(module)]
        }
        var objects: UnsafeMutablePointer<wasmc_object>?
        // The C++ side reports each part done through a C function and the closure's box.
        final class Box {
            let report: @Sendable (CompileProgress) -> Void
            init(_ report: @escaping @Sendable (CompileProgress) -> Void) { self.report = report }
        }
        let box = progress.map { Unmanaged.passRetained(Box($0)) }
        defer { box?.release() }
        let callback: wasmc_progress_fn? = progress == nil ? nil : { context, done, total in
            let box = Unmanaged<Box>.fromOpaque(context!).takeUnretainedValue()
            box.report(CompileProgress(stage: .optimizing, fraction: total == 0 ? 1 : Double(done) / Double(total)))
        }
        if let message = wasmc_llvm_emit_objects(
            module, machine, UInt32(parts), UInt32(max(1, min(threads, 64))), Int32(optimizationLevel), Self.wasmcPasses,
            callback, box.map { $0.toOpaque() }, &objects) {
            defer { free(message) }
            throw CompileError.backend("object emission failed: \(String(cString: message))")
        }
        defer { wasmc_llvm_free_objects(objects) }
        var result: [Data] = []
        var object = objects!
        while let bytes = object.pointee.bytes {
            result.append(Data(bytes: bytes, count: object.pointee.size))
            object += 1
        }
        return result
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
