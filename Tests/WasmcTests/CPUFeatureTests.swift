import Foundation
import Testing
import WAT
import Wasmc
import WasmcBackend
import WasmcRuntime

/// Target CPU selection at compile time, and the loader's refusal of modules the CPU cannot run.
@Suite("CPU features")
struct CPUFeatureTests {
    static let module = """
        (module (func (export "fac") (param i64) (result i64)
          (if (result i64) (i64.eqz (local.get 0)) (then (i64.const 1))
            (else (i64.mul (local.get 0) (call 0 (i64.sub (local.get 0) (i64.const 1))))))))
        """

    /// Features LLVM knows on this architecture, most likely missing first.
    static let candidates: [String] = {
        #if arch(x86_64)
            return [
                "avx512f", "avx512fp16", "avx512vp2intersect", "amx-tile", "sha512", "usermsr",
                "avxvnniint16", "sse4a", "xop", "fma4", "tbm", "avx2",
            ]
        #elseif arch(arm64)
            return ["sve", "sve2", "sme", "sme2", "mte", "cssc", "wfxt", "mops"]
        #else
            return []
        #endif
    }()

    /// The first candidate this CPU lacks (per the runtime's own detection), if any.
    static let missingFeature: String? = candidates.first { wasmc_cpu_supports($0) == 0 }

    /// The CPU named like LLVM's baseline for this architecture.
    static let baselineCPU: String = {
        #if arch(x86_64)
            return "x86-64"
        #else
            return "generic"
        #endif
    }()

    /// Compiles the test module for `target` to a temporary .so and returns its path.
    static func compile(for target: Target) throws -> String {
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("wasmc-cpu-\(UUID().uuidString).so").path
        try Compiler(options: CompileOptions(target: target)).compile(try wat2wasm(module), to: path)
        return path
    }

    static func factorial(_ module: CompiledModule) throws -> [Value] {
        try Instance(module: module, store: Store()) { _ in nil }.call("fac", [.i64(10)])
    }

    @Test(
        "a module needing a feature this CPU lacks is refused, naming the feature",
        .enabled(if: missingFeature != nil, "this CPU has every candidate feature: \(candidates)"))
    func missingFeatureRefused() throws {
        let feature = try #require(Self.missingFeature)
        let target = try Target.resolve(features: "+\(feature)")
        let path = try Self.compile(for: target)
        defer { try? FileManager.default.removeItem(atPath: path) }
        do {
            _ = try CompiledModule(path: path)
            Issue.record("a module needing \(feature) loaded on a CPU without it")
        } catch {
            guard case .noNativeCode = error.kind else {
                Issue.record("expected a no-native-code error, got \(error)")
                return
            }
            #expect(error.message.contains("needs CPU feature"))
            #expect(error.message.contains(feature))
            #expect(error.message.contains("(compiled for \(target.cpu)), which this CPU lacks"))
        }
    }

    @Test("a module compiled for the baseline CPU loads and runs, and records only requirements")
    func baselineLoads() throws {
        let path = try Self.compile(for: try Target.resolve(cpu: Self.baselineCPU))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let module = try CompiledModule(path: path)
        #expect(try Self.factorial(module) == [.i64(3_628_800)])
        #expect(module.cpu == Self.baselineCPU)
        let recorded = module.cpuFeatures.split(separator: ",").map(String.init)
        #expect(!recorded.isEmpty)
        #expect(recorded.allSatisfy { $0.hasPrefix("+") })
        #if arch(x86_64)
            #expect(recorded.contains("+sse2"))
            #expect(!recorded.contains("+avx"))
            // Tuning-only features of the CPU are not requirements.
            #expect(!recorded.contains("+slow-3ops-lea") && !recorded.contains("+macrofusion"))
        #endif
    }

    @Test("a module compiled for the host records features the runtime finds on this CPU")
    func hostLoads() throws {
        let path = try Self.compile(for: .host)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let module = try CompiledModule(path: path)
        #expect(try Self.factorial(module) == [.i64(3_628_800)])
        for entry in module.cpuFeatures.split(separator: ",") {
            #expect(entry.hasPrefix("+"))
            #expect(wasmc_cpu_supports(String(entry)) == 1, "\(entry)")
        }
    }

    @Test("unknown CPU names are rejected at compile time, with a suggestion for typos")
    func unknownCPU() throws {
        #expect(throws: TargetError.self) { try Target.resolve(cpu: "bogus") }
        do {
            _ = try Target.resolve(cpu: "x86-64-v5")
            Issue.record("CPU x86-64-v5 accepted")
        } catch {
            guard case .unknownCPU("x86-64-v5", _, let suggestion) = error else {
                Issue.record("unexpected \(error)")
                return
            }
            #if arch(x86_64)
                #expect(suggestion != nil)
            #endif
            #expect(error.description.hasPrefix("unknown CPU \"x86-64-v5\" for "))
        }
        // A Target built by hand is checked by the compiler too.
        var target = Target.host
        target.cpu = "bogus"
        #expect(throws: CompileError.self) { _ = try Self.compile(for: target) }
    }

    @Test("unknown or malformed CPU features are rejected at compile time")
    func unknownFeature() throws {
        #expect(throws: TargetError.self) { try Target.resolve(features: "+bogus") }
        #expect(throws: TargetError.self) { try Target.resolve(features: "+avx2,,-fma") }
        #expect(throws: TargetError.self) { try Target.resolve(features: "+") }
        #if arch(x86_64)
            do {
                _ = try Target.resolve(features: "+avx513f")
                Issue.record("+avx513f accepted")
            } catch {
                #expect(error == .unknownFeature("avx513f", triple: Target.host.triple, suggestion: "avx512f"))
            }
            #expect(try Target.resolve(cpu: "x86-64", features: "avx2,-fma").features == "+avx2,-fma")
        #endif
        var target = Target.host
        target.features = "+bogus"
        #expect(throws: CompileError.self) { _ = try Self.compile(for: target) }
    }

    #if arch(x86_64)
        @Test("removing a feature removes what implies it, as LLVM applies it")
        func removalFollowsImplications() throws {
            let required = try Target.resolve(cpu: "x86-64-v3", features: "-avx").requiredFeatures()
                .split(separator: ",")
            #expect(!required.contains("+avx") && !required.contains("+avx2") && !required.contains("+fma"))
            #expect(required.contains("+bmi2") && required.contains("+sse4.2"))
            let v4 = try Target.resolve(cpu: "x86-64-v4").requiredFeatures().split(separator: ",")
            #expect(v4.contains("+avx512f") && v4.contains("+avx2"))
        }
    #endif

    @Test("a .so of another architecture is refused with the architecture named")
    func foreignArchitecture() throws {
        let path = try Self.compile(for: try Target.resolve(cpu: Self.baselineCPU))
        defer { try? FileManager.default.removeItem(atPath: path) }
        // Patch e_machine (offset 18, little endian) to another architecture's.
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        #if arch(x86_64)
            let (machine, name): (UInt16, String) = (183, "aarch64")
        #else
            let (machine, name): (UInt16, String) = (62, "x86_64")
        #endif
        bytes[18] = UInt8(machine & 0xff)
        bytes[19] = UInt8(machine >> 8)
        try bytes.write(to: URL(fileURLWithPath: path))
        #expect {
            _ = try CompiledModule(path: path)
        } throws: { error in
            guard let error = error as? WasmcError, case .noNativeCode = error.kind else { return false }
            return error.message.contains("compiled for \(name), which this")
        }
    }
}
