import Foundation
import Testing
import Wasmc
import WasmcBackend
import WAT

/// The loop versioning pass (Sources/CLLVMPasses/LoopAliasGroups.cpp) on a loop interleaved
/// the way clang's wasm32 output has it: dst[j] and dst[j + 1] updated in one iteration.
@Suite("Loop versioning on grouped pointer ranges")
struct LoopVersioningTests {
    /// axpy2(dst, src, n, a): dst[j] += a * src[j] for j < n (n even), two elements per
    /// iteration through offset=8 accesses; fill(n) writes memory[8i] = i + 0.25 for i < n;
    /// sum(n) adds up the first n doubles, each scaled by its index + 1 (so order matters).
    static let module = """
        (module
          (memory (export "memory") 1)
          (func (export "axpy2") (param $dst i32) (param $src i32) (param $n i32) (param $a f64)
            (local $j i32) (local $d i32) (local $s i32)
            (block $done
              (br_if $done (i32.lt_u (local.get $n) (i32.const 2)))
              (loop $next
                (local.set $d (i32.add (local.get $dst) (i32.shl (local.get $j) (i32.const 3))))
                (local.set $s (i32.add (local.get $src) (i32.shl (local.get $j) (i32.const 3))))
                (f64.store (local.get $d)
                  (f64.add (f64.load (local.get $d)) (f64.mul (local.get $a) (f64.load (local.get $s)))))
                (f64.store offset=8 (local.get $d)
                  (f64.add (f64.load offset=8 (local.get $d)) (f64.mul (local.get $a) (f64.load offset=8 (local.get $s)))))
                (local.set $j (i32.add (local.get $j) (i32.const 2)))
                (br_if $next (i32.ne (local.get $j) (i32.and (local.get $n) (i32.const -2)))))))
          (func (export "fill") (param $n i32) (local $i i32)
            (block $done
              (loop $next
                (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
                (f64.store (i32.shl (local.get $i) (i32.const 3))
                  (f64.add (f64.convert_i32_u (local.get $i)) (f64.const 0.25)))
                (local.set $i (i32.add (local.get $i) (i32.const 1)))
                (br $next))))
          (func (export "sum") (param $n i32) (result f64) (local $i i32) (local $s f64)
            (block $done
              (loop $next
                (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
                (local.set $s (f64.add (local.get $s)
                  (f64.mul (f64.load (i32.shl (local.get $i) (i32.const 3)))
                           (f64.convert_i32_u (i32.add (local.get $i) (i32.const 1))))))
                (local.set $i (i32.add (local.get $i) (i32.const 1)))
                (br $next)))
            (local.get $s)))
        """

    /// Without the pass the loop is vectorized too, but behind LLVM's own run-time check, which
    /// compares dst[j] with dst[j + 1] and so always fails. With it, the versioned copy is
    /// vectorized with no check of its own (the versioning check covers it): axpy2 (function 0)
    /// has more vector loops than vector run-time checks.
    @Test func versionedCopyIsVectorizedWithoutItsOwnCheck() throws {
        let labels = blockLabels(try optimizedIR(of: Self.module, functions: [0])[0]!)
        let vectorLoops = labels.filter { $0.hasPrefix("vector.body") }.count
        let vectorChecks = labels.filter { $0.hasPrefix("vector.memcheck") }.count
        #expect(vectorLoops > vectorChecks, "axpy2: \(vectorLoops) vector loops, \(vectorChecks) run-time checks of the vectorizer")
    }

    /// Overlapping and disjoint arrays, in both directions and at several distances: -O2 (with
    /// the versioned loop) must leave memory exactly as -O0 (no optimization at all) does.
    @Test func resultsMatchUnoptimizedCode() throws {
        let optimized = try instantiate(Self.module)
        let reference = try instantiate(Self.module, options: CompileOptions(optimizationLevel: 0))
        let cases: [(dst: Int32, src: Int32, n: Int32)] = [
            (0, 4096, 100), (4096, 0, 100), (8, 0, 200), (0, 8, 200), (16, 0, 200), (0, 16, 200),
            (24, 0, 64), (0, 0, 100), (800, 0, 202), (0, 792, 202), (0, 4096, 0), (0, 4096, 2),
        ]
        for (dst, src, n) in cases {
            var sums: [Wasmc.Value] = []
            for instance in [optimized, reference] {
                _ = try instance.call("fill", [.i32(1000)])
                _ = try instance.call("axpy2", [.i32(dst), .i32(src), .i32(n), .f64(1.5)])
                sums += try instance.call("sum", [.i32(1000)])
            }
            #expect(sums[0] == sums[1], "axpy2(dst: \(dst), src: \(src), n: \(n)): -O2 gives \(sums[0]), -O0 \(sums[1])")
        }
    }
}
