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
    }()
    private static let lock = NSLock()
    nonisolated(unsafe) private static var appliedArguments: [String]? = nil

    static func initialize() { _ = once }

    /// Initializes LLVM's targets, and gives LLVM `arguments` (`CompileOptions.llvmArguments`).
    /// LLVM keeps its options per process: the first compile that names any sets them, and a
    /// later one that names others is refused.
    static func initialize(arguments: [String]) throws(CompileError) {
        _ = once
        guard !arguments.isEmpty else { return }
        let applied = lock.withLock { () -> [String] in
            if let appliedArguments { return appliedArguments }
            let words = ["wasmc"] + arguments
            var pointers = words.map { strdup($0) }
            defer { pointers.forEach { free($0) } }
            pointers.withUnsafeMutableBufferPointer { buffer in
                buffer.baseAddress!.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: buffer.count) {
                    LLVMParseCommandLineOptions(Int32(buffer.count), $0, "wasmc")
                }
            }
            appliedArguments = arguments
            return arguments
        }
        guard applied == arguments else {
            throw .backend("LLVM options are set once per process: \(applied.joined(separator: " ")) already, not \(arguments.joined(separator: " "))")
        }
    }
}

/// An LLVM target machine for one `Target` and optimization level. Threads share it read-only:
/// `compilePart` makes a copy of its own for each part.
final class TargetMachine: @unchecked Sendable {
    let machine: LLVMTargetMachineRef
    let target: Target

    /// How the optimization pipeline runs (`CompileOptions.loopPasses`, `pipeline`, `timePasses`).
    private let loopPasses: UInt32
    private let pipeline: String?
    private let timePasses: Bool

    init(target: Target, optimizationLevel: Int, options: CompileOptions) throws(CompileError) {
        try LLVMSupport.initialize(arguments: options.llvmArguments)
        loopPasses = options.loopPasses.rawValue
        pipeline = options.pipeline
        timePasses = options.timePasses
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
        if let message = withPipelineOptions({ wasmc_llvm_optimize(module, machine, Int32(level), $0) }) {
            defer { free(message) }
            throw CompileError.backend("LLVM passes failed: \(String(cString: message))")
        }
    }

    /// Calls `body` with the pipeline options in C form.
    private func withPipelineOptions<Result>(_ body: (UnsafePointer<wasmc_pipeline_options>) -> Result) -> Result {
        func call(_ text: UnsafePointer<CChar>?) -> Result {
            var options = wasmc_pipeline_options(passes: loopPasses, pipeline: text, time_passes: timePasses ? 1 : 0)
            return body(&options)
        }
        guard let pipeline else { return call(nil) }
        return pipeline.withCString(call)
    }

    /// Optimizes `module` at -O`level` and emits it as an object file, with a target machine of
    /// its own for that level: threads may compile modules of contexts of their own at once
    /// (Sources/CLLVMPasses/PartCodegen.cpp).
    func compilePart(_ module: LLVMModuleRef, level: Int) throws(CompileError) -> Data {
        adopt(module)
        var object = wasmc_object()
        if let message = withPipelineOptions({ wasmc_llvm_compile_part(module, machine, Int32(level), $0, &object) }) {
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
