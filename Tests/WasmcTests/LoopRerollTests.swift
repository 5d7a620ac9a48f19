import Foundation
import Testing
import Wasmc
import WasmcBackend
import WAT

/// The pass that rolls up loops the wasm producer unrolled (Sources/CLLVMPasses/LoopReroll.cpp),
/// on loops written the way clang -O3 emits them: two or four copies of the body per iteration
/// and an exit test `j != n` that only the producer knows to be reached.
@Suite("Rolling up unrolled loops")
struct LoopRerollTests {
    static let module = """
        (module
          (memory (export "memory") 1)
          ;; f0 dot2(a, b, n): a[0]·b[0] + a[1]·b[1] + ... for j < n, two per iteration, left to right.
          (func (export "dot2") (param $a i32) (param $b i32) (param $n i32) (result f64)
            (local $j i32) (local $s f64) (local $pa i32) (local $pb i32)
            (block $done
              (br_if $done (i32.eqz (local.get $n)))
              (loop $next
                (local.set $pa (i32.add (local.get $a) (i32.shl (local.get $j) (i32.const 3))))
                (local.set $pb (i32.add (local.get $b) (i32.shl (local.get $j) (i32.const 3))))
                (local.set $s (f64.add (local.get $s)
                  (f64.mul (f64.load (local.get $pa)) (f64.load (local.get $pb)))))
                (local.set $s (f64.add (local.get $s)
                  (f64.mul (f64.load (i32.add (local.get $pa) (i32.const 8)))
                           (f64.load (i32.add (local.get $pb) (i32.const 8))))))
                (local.set $j (i32.add (local.get $j) (i32.const 2)))
                (br_if $next (i32.ne (local.get $j) (local.get $n)))))
            (local.get $s))
          ;; f1 max4(p, c): the largest of c i32s from p (c a multiple of 4), four per iteration,
          ;; counting c down.
          (func (export "max4") (param $p i32) (param $c i32) (result i32) (local $m i32) (local $x i32)
            (local.set $m (i32.const 0x80000000))
            (block $done
              (br_if $done (i32.eqz (local.get $c)))
              (loop $next
                (local.set $x (i32.load (local.get $p)))
                (local.set $m (select (local.get $x) (local.get $m) (i32.gt_s (local.get $x) (local.get $m))))
                (local.set $x (i32.load (i32.add (local.get $p) (i32.const 4))))
                (local.set $m (select (local.get $x) (local.get $m) (i32.gt_s (local.get $x) (local.get $m))))
                (local.set $x (i32.load (i32.add (local.get $p) (i32.const 8))))
                (local.set $m (select (local.get $x) (local.get $m) (i32.gt_s (local.get $x) (local.get $m))))
                (local.set $x (i32.load (i32.add (local.get $p) (i32.const 12))))
                (local.set $m (select (local.get $x) (local.get $m) (i32.gt_s (local.get $x) (local.get $m))))
                (local.set $p (i32.add (local.get $p) (i32.const 16)))
                (local.set $c (i32.sub (local.get $c) (i32.const 4)))
                (br_if $next (local.get $c))))
            (local.get $m))
          ;; f2 scale2(dst, src, n, c): dst[j] = src[j] · c for j < n, two per iteration; returns
          ;; the final j (a value of the loop used after it).
          (func (export "scale2") (param $dst i32) (param $src i32) (param $n i32) (param $c f64) (result i32)
            (local $j i32) (local $d i32) (local $s i32)
            (block $done
              (br_if $done (i32.eqz (local.get $n)))
              (loop $next
                (local.set $d (i32.add (local.get $dst) (i32.shl (local.get $j) (i32.const 3))))
                (local.set $s (i32.add (local.get $src) (i32.shl (local.get $j) (i32.const 3))))
                (f64.store (local.get $d) (f64.mul (f64.load (local.get $s)) (local.get $c)))
                (f64.store (i32.add (local.get $d) (i32.const 8))
                  (f64.mul (f64.load (i32.add (local.get $s) (i32.const 8))) (local.get $c)))
                (local.set $j (i32.add (local.get $j) (i32.const 2)))
                (br_if $next (i32.ne (local.get $j) (local.get $n)))))
            (local.get $j))
          ;; f3 mismatch2(dst, n): two copies that differ (2j, then 3(j + 1)): not an unrolled loop.
          (func (export "mismatch2") (param $dst i32) (param $n i32) (local $j i32) (local $d i32)
            (block $done
              (br_if $done (i32.eqz (local.get $n)))
              (loop $next
                (local.set $d (i32.add (local.get $dst) (i32.shl (local.get $j) (i32.const 2))))
                (i32.store (local.get $d) (i32.mul (local.get $j) (i32.const 2)))
                (i32.store (i32.add (local.get $d) (i32.const 4))
                  (i32.mul (i32.add (local.get $j) (i32.const 1)) (i32.const 3)))
                (local.set $j (i32.add (local.get $j) (i32.const 2)))
                (br_if $next (i32.ne (local.get $j) (local.get $n))))))
          ;; f4 hoisted2(dst, src, n): dst[j] = src[j] + 1 with both loads of an iteration before
          ;; both stores, so the second copy reads before the first one writes.
          (func (export "hoisted2") (param $dst i32) (param $src i32) (param $n i32)
            (local $j i32) (local $d i32) (local $s i32) (local $x i32) (local $y i32)
            (block $done
              (br_if $done (i32.eqz (local.get $n)))
              (loop $next
                (local.set $d (i32.add (local.get $dst) (i32.shl (local.get $j) (i32.const 2))))
                (local.set $s (i32.add (local.get $src) (i32.shl (local.get $j) (i32.const 2))))
                (local.set $x (i32.load (local.get $s)))
                (local.set $y (i32.load (i32.add (local.get $s) (i32.const 4))))
                (i32.store (local.get $d) (i32.add (local.get $x) (i32.const 1)))
                (i32.store (i32.add (local.get $d) (i32.const 4)) (i32.add (local.get $y) (i32.const 1)))
                (local.set $j (i32.add (local.get $j) (i32.const 2)))
                (br_if $next (i32.ne (local.get $j) (local.get $n))))))
          ;; f5 fill(n): byte i = 7i + 3 for i < n.
          (func (export "fill") (param $n i32) (local $i i32)
            (block $done
              (loop $next
                (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
                (i32.store8 (local.get $i) (i32.add (i32.mul (local.get $i) (i32.const 7)) (i32.const 3)))
                (local.set $i (i32.add (local.get $i) (i32.const 1)))
                (br $next))))
          ;; f6 fillf64(n): double i = 0.37i - 5.1 for i < n.
          \(memoryFillFunction("f64"))
          ;; f7 hash(n)
          \(memoryHashFunction)
          ;; f8 diff2(dst, src, n): dst[j] = src[j] - src[j - 1] (src[-1] read as 0.5), two per
          ;; iteration, each copy reusing the value the copy before it loaded (a recurrence);
          ;; returns the last value loaded (the recurrence's value after the loop).
          (func (export "diff2") (param $dst i32) (param $src i32) (param $n i32) (result f64)
            (local $j i32) (local $prev f64) (local $x f64) (local $d i32) (local $s i32)
            (local.set $prev (f64.const 0.5))
            (block $done
              (br_if $done (i32.eqz (local.get $n)))
              (loop $next
                (local.set $d (i32.add (local.get $dst) (i32.shl (local.get $j) (i32.const 3))))
                (local.set $s (i32.add (local.get $src) (i32.shl (local.get $j) (i32.const 3))))
                (local.set $x (f64.load (local.get $s)))
                (f64.store (local.get $d) (f64.sub (local.get $x) (local.get $prev)))
                (local.set $prev (f64.load (i32.add (local.get $s) (i32.const 8))))
                (f64.store (i32.add (local.get $d) (i32.const 8)) (f64.sub (local.get $prev) (local.get $x)))
                (local.set $j (i32.add (local.get $j) (i32.const 2)))
                (br_if $next (i32.ne (local.get $j) (local.get $n)))))
            (local.get $prev)))
        """

    /// The functions' bodies in -O2 IR for x86-64-v3, by function index.
    static func optimizedBodies() throws -> [Int: String] {
        try optimizedIR(of: Self.module, functions: [0, 1, 2, 3, 4, 8])
    }

    /// Rolled up, max4, scale2 and diff2 become loops LLVM vectorizes: without the pass their trip
    /// counts (`c -= 4; c != 0`, `j += 2; j != n`) are unknown and none has a vector loop.
    @Test func rolledLoopsAreVectorized() throws {
        let bodies = try Self.optimizedBodies()
        for (index, name) in [(1, "max4"), (2, "scale2"), (8, "diff2")] {
            let labels = blockLabels(bodies[index]!)
            #expect(labels.contains { $0.hasPrefix("vector.body") }, "\(name): no vector loop; blocks \(labels)")
        }
        #expect(bodies[1]!.contains("llvm.vector.reduce.smax"), "max4: the select chain is not a vectorized max reduction")
    }

    /// Copies that compute different things, or whose memory accesses would run in another order
    /// once rolled up, are left alone: no versioned copy of the loop is made for them.
    @Test func loopsThatAreNotCopiesStayAsTheyAre() throws {
        let bodies = try Self.optimizedBodies()
        for (index, name) in [(3, "mismatch2"), (4, "hoisted2")] {
            let labels = blockLabels(bodies[index]!)
            #expect(!labels.contains { $0.contains("reroll") || $0.contains("unrolled") }, "\(name) was rolled up: \(labels)")
        }
        // The rolled loops keep the original for inexact exits (n odd): f0 and f2 show both.
        for (index, name) in [(0, "dot2"), (2, "scale2")] {
            let labels = blockLabels(bodies[index]!)
            #expect(labels.contains { $0.hasSuffix(".unrolled") }, "\(name): no original loop kept; blocks \(labels)")
        }
    }

    /// -O2 (rolled, vectorized) against -O0 (no optimization at all): the same values and the
    /// same memory, bit for bit, for aligned, overlapping and disjoint arrays.
    @Test func resultsMatchUnoptimizedCode() throws {
        let optimized = try instantiate(Self.module)
        let reference = try instantiate(Self.module, options: CompileOptions(optimizationLevel: 0))
        func both(_ name: String, _ arguments: [Wasmc.Value], fill: String = "fillf64", count: Int32 = 4000) throws -> [[Wasmc.Value]] {
            try [optimized, reference].map { instance in
                _ = try instance.call(fill, [.i32(count)])
                let results = try instance.call(name, arguments)
                return results + (try instance.call("hash", [.i32(65536)]))
            }
        }
        for (a, b, n): (Int32, Int32, Int32) in [(0, 8000, 2), (0, 8000, 10), (8, 8000, 500), (0, 0, 1000), (16000, 0, 998)] {
            let results = try both("dot2", [.i32(a), .i32(b), .i32(n)])
            guard case .f64(let x) = results[0][0], case .f64(let y) = results[1][0] else {
                Issue.record("dot2 returned \(results)")
                continue
            }
            #expect(x.bitPattern == y.bitPattern, "dot2(\(a), \(b), \(n)): -O2 \(x), -O0 \(y)")
        }
        for (p, c): (Int32, Int32) in [(0, 4), (0, 8), (4, 64), (1, 1000), (100, 4096)] {
            let results = try both("max4", [.i32(p), .i32(c)], fill: "fill", count: 65536)
            #expect(results[0] == results[1], "max4(\(p), \(c)): -O2 \(results[0]), -O0 \(results[1])")
        }
        let scaleCases: [(dst: Int32, src: Int32, n: Int32)] = [
            (16000, 0, 100), (0, 8, 200), (8, 0, 200), (16, 0, 200), (0, 0, 100), (800, 0, 202), (4, 0, 64), (0, 4, 64),
        ]
        for (dst, src, n) in scaleCases {
            let results = try both("scale2", [.i32(dst), .i32(src), .i32(n), .f64(1.5)])
            #expect(results[0] == results[1], "scale2(\(dst), \(src), \(n)): -O2 \(results[0]), -O0 \(results[1])")
        }
        for (dst, src, n): (Int32, Int32, Int32) in [(16000, 0, 300), (0, 8, 300), (8, 0, 300), (0, 0, 100), (24, 0, 64)] {
            let results = try both("diff2", [.i32(dst), .i32(src), .i32(n)])
            #expect(results[0] == results[1], "diff2(\(dst), \(src), \(n)): -O2 \(results[0]), -O0 \(results[1])")
        }
        for (dst, src, n): (Int32, Int32, Int32) in [(0, 0, 100), (4, 0, 100), (0, 4, 100), (8, 0, 100), (400, 0, 300)] {
            let results = try both("hoisted2", [.i32(dst), .i32(src), .i32(n)], fill: "fill", count: 65536)
            #expect(results[0] == results[1], "hoisted2(\(dst), \(src), \(n)): -O2 \(results[0]), -O0 \(results[1])")
            let mismatch = try both("mismatch2", [.i32(dst), .i32(n)], fill: "fill", count: 65536)
            #expect(mismatch[0] == mismatch[1], "mismatch2(\(dst), \(n)): -O2 \(mismatch[0]), -O0 \(mismatch[1])")
        }
    }

    /// With n odd, `j += 2; j != n` never holds: the module's loop runs on until its accesses
    /// leave memory and trap. The rolled loop (j += 1) would stop at j = n and return; the
    /// versioning on exactness must send such entries to the original loop, which traps.
    @Test func inexactExitsStillTrap() throws {
        for level in [0, 2] {
            let instance = try instantiate(Self.module, options: CompileOptions(optimizationLevel: level))
            _ = try instance.call("fillf64", [.i32(100)])
            #expect(throws: Trap.memoryOutOfBounds, "scale2 with n odd at -O\(level)") {
                try instance.call("scale2", [.i32(0), .i32(8), .i32(7), .f64(2)])
            }
            #expect(throws: Trap.memoryOutOfBounds, "dot2 with n odd at -O\(level)") {
                try instance.call("dot2", [.i32(0), .i32(8), .i32(3)])
            }
            #expect(throws: Trap.memoryOutOfBounds, "max4 with c not a multiple of 4 at -O\(level)") {
                try instance.call("max4", [.i32(0), .i32(6)])
            }
        }
    }
}
