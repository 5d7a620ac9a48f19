import Foundation
import WasmcCodegen
import WasmcModule

/// How a module is compiled in parts (ModuleCompiler, `CodeScope`): which functions each part
/// holds and at which level it is optimized. A part's IR is generated, optimized and emitted on
/// one thread, in an LLVM context of its own, and dropped before the thread takes the next: the
/// memory a compile needs grows with the parts in flight, not with the module (ARCHITECTURE §8).
/// The parts depend on the module (and profile) alone, not on the threads, so the .so does too.
/// Besides these parts of functions, there is the instance part (`compileInstance`), which
/// needs the whole module, data segments included: the parts of functions can be compiled
/// while those arrive.
struct Partition {
    struct Part {
        /// Defined functions, in index order (`ModuleCompiler.generateFunctions`).
        var functions: [DefinedFuncIndex]
        /// The optimization level of the part's code.
        var level: Int
        /// What the part is estimated to cost: bytes of code times the level's cost per byte.
        var cost: Int
    }

    var parts: [Part]

    /// A part holds at least this much code, and a module of less than two parts' worth is
    /// compiled whole: a part costs a context, a target machine, a pipeline and an object to
    /// link (a few milliseconds), worth it from about this size up.
    static let minimumPartBytes = 8 << 10
    /// Up to this many parts a module's code is shared out into ...
    static let preferredParts = 16
    /// ... of at most this many bytes each (a larger function makes a part of its own): about
    /// 30 MB of IR, and the memory to optimize and emit it, per thread.
    static let maximumPartBytes = 256 << 10

    /// What code generation at -O`level` costs per byte of code, relative to the others (jsonpp:
    /// -O0 0.11 s, -O1 0.31 s, -O2 0.50 s, -O3 0.62 s).
    static func costPerByte(level: Int) -> Int { [1, 3, 5, 6][min(max(level, 0), 3)] }

    /// The parts of `module` at -O`level`, each function at `functionLevels[index]` if it has an
    /// entry (a profile's verdict) and at `level` otherwise; nil when the module is to be
    /// compiled whole (small, and every function at one level). `partSize`: bytes of code per
    /// part instead of wasmc's choice (`CompileOptions.partSize`), for any module.
    static func plan(module: ModuleInfo, level: Int, functionLevels: [Int: Int], partSize: Int? = nil) -> Partition? {
        let defined = module.definedIndices(FunctionSpace.self)
        let sizes = defined.map { module.code($0).expression.count }
        let total = sizes.reduce(0, +)
        guard total >= 2 * minimumPartBytes || !functionLevels.isEmpty || partSize != nil else { return nil }
        let partBytes = partSize ?? min(max(total / preferredParts, minimumPartBytes), maximumPartBytes)
        // The functions of each level, in index order, cut into runs of about partBytes.
        var byLevel: [Int: [(DefinedFuncIndex, Int)]] = [:]
        for (function, size) in zip(defined, sizes) {
            byLevel[functionLevels[module.index(of: function).rawValue] ?? level, default: []].append((function, size))
        }
        var parts: [Part] = []
        for functionLevel in byLevel.keys.sorted() {
            var run: [DefinedFuncIndex] = []
            var bytes = 0
            func close() {
                guard !run.isEmpty else { return }
                parts.append(Part(functions: run, level: functionLevel, cost: bytes * costPerByte(level: functionLevel)))
                run = []
                bytes = 0
            }
            for (function, size) in byLevel[functionLevel]! {
                if bytes > 0 && bytes + size > partBytes { close() }
                run.append(function)
                bytes += size
            }
            close()
        }
        return Partition(parts: parts)
    }

    /// Starts generating, optimizing and emitting the parts, costliest first, on up to
    /// `threads` threads of their own, each object written to `files` as soon as it is made;
    /// `Compilation.finish` waits for them.
    func start(
        _ compiler: ModuleCompiler, machine: TargetMachine, threads: Int, files: Linker.ObjectFiles,
        progress: (@Sendable (CompileProgress) -> Void)?
    ) -> Compilation {
        let order = parts.indices.sorted { parts[$0].cost > parts[$1].cost }
        let totalCost = max(1, parts.reduce(0) { $0 + $1.cost })
        let work = Compilation(count: parts.count)
        let body: @Sendable () -> Void = { [parts] in
            while let position = work.next(), position < order.count {
                let part = parts[order[position]]
                do {
                    let object = try files.write(Self.compile(part, compiler, machine: machine), name: "part\(order[position]).o")
                    work.finish(order[position], object, cost: part.cost) { done in
                        progress?(CompileProgress(stage: .compiling, fraction: Double(done) / Double(totalCost)))
                    }
                } catch {
                    work.fail(error)
                }
            }
        }
        // Threads of their own rather than Dispatch's: LLVM recurses deeply on large functions,
        // and these get the stack of a main thread and more.
        for _ in 0..<min(max(threads, 1), parts.count) {
            work.running.enter()
            let thread = Thread {
                body()
                work.running.leave()
            }
            thread.stackSize = 64 << 20
            thread.start()
        }
        return work
    }

    private static func compile(_ part: Part, _ compiler: ModuleCompiler, machine: TargetMachine) throws(CompileError) -> Data {
        let ir: IRModule
        do {
            ir = try compiler.generateFunctions(part.functions, copySmallCallees: part.level > 0)
        } catch {
            throw .codegen(error)
        }
        return try emit(ir, level: part.level, machine: machine)
    }

    /// The instance part of a module compiled in parts: generated, optimized at `level` and
    /// emitted on this thread.
    static func compileInstance(_ compiler: ModuleCompiler, level: Int, machine: TargetMachine) throws(CompileError) -> Data {
        try emit(compiler.generateInstance(), level: level, machine: machine)
    }

    private static func emit(_ ir: IRModule, level: Int, machine: TargetMachine) throws(CompileError) -> Data {
        if let problem = ir.verify() {
            throw .codegen(CodegenError("LLVM verifier: \(problem)"))
        }
        return try machine.compilePart(ir.module, level: level)
    }
}

/// Parts being compiled (`Partition.start`): which part goes next, the object files made, the
/// first error.
final class Compilation: @unchecked Sendable {
    /// The threads that compile the parts.
    let running = DispatchGroup()
    private let lock = NSLock()
    private var position = 0
    private var results: [String?]
    private var error: CompileError?
    private var doneCost = 0

    init(count: Int) { results = Array(repeating: nil, count: count) }

    /// The position in the order of the next part to compile; nil once a part failed.
    func next() -> Int? {
        lock.withLock {
            guard error == nil else { return nil }
            defer { position += 1 }
            return position
        }
    }

    /// Records part `index`'s object file, and reports the cost done so far (one call at a time).
    func finish(_ index: Int, _ object: String, cost: Int, report: (Int) -> Void) {
        lock.withLock {
            results[index] = object
            doneCost += cost
            report(doneCost)
        }
    }

    func fail(_ error: any Error) {
        lock.withLock {
            if self.error == nil { self.error = error as? CompileError ?? .backend("\(error)") }
        }
    }

    /// Lets the threads finish the parts they are compiling, but start no other.
    func cancel() {
        fail(CompileError.backend("cancelled"))
    }

    /// Waits for the threads; the objects in the parts' order.
    func finish() throws(CompileError) -> [String] {
        running.wait()
        let (error, results) = lock.withLock { (self.error, self.results) }
        if let error { throw error }
        return results.map { $0! }
    }
}
