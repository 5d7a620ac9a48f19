import Foundation
import Testing
import Wasmc
import WasmcBackend
import WAT

/// Unroll-and-jam of loops around an accumulating inner loop (Sources/CLLVMPasses/LoopJam.cpp),
/// on nests written the way clang -O3 emits a dense layer.
@Suite("Unroll-and-jam of accumulating loop nests")
struct LoopJamTests {
    /// `name(y, x, w, n)`: one row of 24 floats, y[o] += x[i] · w[24i + o] for i < n, in scalar
    /// code, the weight row pointer an induction of its own; `peeled`: y[0] updated before the
    /// inner loop, which then starts at y[1] (a store outside the inner loop, as clang peels).
    static func oneRowFunction(_ name: String, peeled: Bool) -> String {
        let first = peeled
            ? """
                (f32.store (local.get $y) (f32.add (f32.load (local.get $y)) (f32.mul (local.get $a) (f32.load (local.get $w)))))
              """
            : ""
        return """
            (func (export "\(name)") (param $y i32) (param $x i32) (param $w i32) (param $n i32)
              (local $i i32) (local $o i32) (local $a f32) (local $p i32)
              (block $done
                (br_if $done (i32.eqz (local.get $n)))
                (loop $outer
                  (local.set $a (f32.load (i32.add (local.get $x) (i32.shl (local.get $i) (i32.const 2)))))
            \(first)
                  (local.set $o (i32.const \(peeled ? 4 : 0)))
                  (loop $inner
                    (local.set $p (i32.add (local.get $y) (local.get $o)))
                    (f32.store (local.get $p)
                      (f32.add (f32.load (local.get $p))
                        (f32.mul (local.get $a) (f32.load (i32.add (local.get $w) (local.get $o))))))
                    (local.set $o (i32.add (local.get $o) (i32.const 4)))
                    (br_if $inner (i32.ne (local.get $o) (i32.const 96))))
                  (local.set $w (i32.add (local.get $w) (i32.const 96)))
                  (local.set $i (i32.add (local.get $i) (i32.const 1)))
                  (br_if $outer (i32.ne (local.get $i) (local.get $n))))))
            """
    }

    static let module = """
        (module
          (memory (export "memory") 1)
          ;; f0 dense4(y, x, w, n): four rows of 64 floats at y, y + 256, y + 512, y + 768 get
          ;; y_r[o] += x[r·n + i] · w[64i + o] for i < n, as clang -msimd128 emits a layer done four
          ;; inputs at a time: the inputs splatted in the outer loop, the rows updated as vectors.
          (func (export "dense4") (param $y i32) (param $x i32) (param $w i32) (param $n i32)
            (local $i i32) (local $j i32) (local $row i32) (local $p i32) (local $wv v128)
            (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
            (block $done
              (br_if $done (i32.eqz (local.get $n)))
              (loop $outer
                (local.set $a0 (v128.load32_splat (i32.add (local.get $x) (i32.shl (local.get $i) (i32.const 2)))))
                (local.set $a1 (v128.load32_splat (i32.add (local.get $x)
                  (i32.shl (i32.add (local.get $i) (local.get $n)) (i32.const 2)))))
                (local.set $a2 (v128.load32_splat (i32.add (local.get $x)
                  (i32.shl (i32.add (local.get $i) (i32.shl (local.get $n) (i32.const 1))) (i32.const 2)))))
                (local.set $a3 (v128.load32_splat (i32.add (local.get $x)
                  (i32.shl (i32.add (local.get $i) (i32.mul (local.get $n) (i32.const 3))) (i32.const 2)))))
                (local.set $row (i32.add (local.get $w) (i32.shl (local.get $i) (i32.const 8))))
                (local.set $j (i32.const 0))
                (loop $inner
                  (local.set $wv (v128.load (i32.add (local.get $row) (local.get $j))))
                  (local.set $p (i32.add (local.get $y) (local.get $j)))
                  (v128.store (local.get $p)
                    (f32x4.add (v128.load (local.get $p)) (f32x4.mul (local.get $a0) (local.get $wv))))
                  (v128.store offset=256 (local.get $p)
                    (f32x4.add (v128.load offset=256 (local.get $p)) (f32x4.mul (local.get $a1) (local.get $wv))))
                  (v128.store offset=512 (local.get $p)
                    (f32x4.add (v128.load offset=512 (local.get $p)) (f32x4.mul (local.get $a2) (local.get $wv))))
                  (v128.store offset=768 (local.get $p)
                    (f32x4.add (v128.load offset=768 (local.get $p)) (f32x4.mul (local.get $a3) (local.get $wv))))
                  (local.set $j (i32.add (local.get $j) (i32.const 16)))
                  (br_if $inner (i32.ne (local.get $j) (i32.const 256))))
                (local.set $i (i32.add (local.get $i) (i32.const 1)))
                (br_if $outer (i32.ne (local.get $i) (local.get $n))))))
          ;; f1 dense1(y, x, w, n): one row of 24 floats, y[o] += x[i] · w[24i + o] for i < n, in
          ;; scalar code, the weight row pointer an induction of its own.
          \(oneRowFunction("dense1", peeled: false))
          ;; f2 dense2(y, x, w, n, m): two rows of m floats at y and y + 256 get y_r[o] +=
          ;; x[i + r·1024] · w[256i + o] for i < n: with m > 64 the rows overlap, and the nest must
          ;; run as it is.
          (func (export "dense2") (param $y i32) (param $x i32) (param $w i32) (param $n i32) (param $m i32)
            (local $i i32) (local $o i32) (local $end i32) (local $a f32) (local $b f32) (local $p i32) (local $v f32)
            (local.set $end (i32.shl (local.get $m) (i32.const 2)))
            (block $done
              (br_if $done (i32.eqz (local.get $n)))
              (br_if $done (i32.eqz (local.get $m)))
              (loop $outer
                (local.set $a (f32.load (i32.add (local.get $x) (i32.shl (local.get $i) (i32.const 2)))))
                (local.set $b (f32.load offset=4096 (i32.add (local.get $x) (i32.shl (local.get $i) (i32.const 2)))))
                (local.set $o (i32.const 0))
                (loop $inner
                  (local.set $p (i32.add (local.get $y) (local.get $o)))
                  (local.set $v (f32.load (i32.add (local.get $w) (local.get $o))))
                  (f32.store (local.get $p) (f32.add (f32.load (local.get $p)) (f32.mul (local.get $a) (local.get $v))))
                  (f32.store offset=256 (local.get $p)
                    (f32.add (f32.load offset=256 (local.get $p)) (f32.mul (local.get $b) (local.get $v))))
                  (local.set $o (i32.add (local.get $o) (i32.const 4)))
                  (br_if $inner (i32.ne (local.get $o) (local.get $end))))
                (local.set $w (i32.add (local.get $w) (i32.const 1024)))
                (local.set $i (i32.add (local.get $i) (i32.const 1)))
                (br_if $outer (i32.ne (local.get $i) (local.get $n))))))
          ;; f3 denseTail(y, x, w, n, m): y[o] += x[i] · w[256i + o] for o < m, as clang emits a loop
          ;; of run-time length: a 4-lane vector loop over the first m & -4 floats, then a scalar
          ;; loop over the rest, each behind a guard.
          (func (export "denseTail") (param $y i32) (param $x i32) (param $w i32) (param $n i32) (param $m i32)
            (local $i i32) (local $j i32) (local $vend i32) (local $end i32) (local $a f32) (local $av v128) (local $p i32)
            (local.set $vend (i32.shl (i32.and (local.get $m) (i32.const -4)) (i32.const 2)))
            (local.set $end (i32.shl (local.get $m) (i32.const 2)))
            (block $done
              (br_if $done (i32.eqz (local.get $n)))
              (loop $outer
                (local.set $a (f32.load (i32.add (local.get $x) (i32.shl (local.get $i) (i32.const 2)))))
                (local.set $j (i32.const 0))
                (block $novector
                  (br_if $novector (i32.eqz (local.get $vend)))
                  (local.set $av (f32x4.splat (local.get $a)))
                  (loop $vector
                    (local.set $p (i32.add (local.get $y) (local.get $j)))
                    (v128.store (local.get $p) (f32x4.add (v128.load (local.get $p))
                      (f32x4.mul (local.get $av) (v128.load (i32.add (local.get $w) (local.get $j))))))
                    (local.set $j (i32.add (local.get $j) (i32.const 16)))
                    (br_if $vector (i32.ne (local.get $j) (local.get $vend)))))
                (block $notail
                  (br_if $notail (i32.eq (local.get $j) (local.get $end)))
                  (loop $tail
                    (local.set $p (i32.add (local.get $y) (local.get $j)))
                    (f32.store (local.get $p) (f32.add (f32.load (local.get $p))
                      (f32.mul (local.get $a) (f32.load (i32.add (local.get $w) (local.get $j))))))
                    (local.set $j (i32.add (local.get $j) (i32.const 4)))
                    (br_if $tail (i32.ne (local.get $j) (local.get $end)))))
                (local.set $w (i32.add (local.get $w) (i32.const 1024)))
                (local.set $i (i32.add (local.get $i) (i32.const 1)))
                (br_if $outer (i32.ne (local.get $i) (local.get $n))))))
          ;; f4 densePointers(y, x, w, n): dense1 with the inner loop walking pointers, the weight
          ;; pointer starting at the row the outer loop moves on (each jammed copy needs its own).
          (func (export "densePointers") (param $y i32) (param $x i32) (param $w i32) (param $n i32)
            (local $i i32) (local $o i32) (local $a f32) (local $p i32) (local $q i32)
            (block $done
              (br_if $done (i32.eqz (local.get $n)))
              (loop $outer
                (local.set $a (f32.load (i32.add (local.get $x) (i32.shl (local.get $i) (i32.const 2)))))
                (local.set $p (local.get $y))
                (local.set $q (local.get $w))
                (local.set $o (i32.const 24))
                (loop $inner
                  (f32.store (local.get $p) (f32.add (f32.load (local.get $p)) (f32.mul (local.get $a) (f32.load (local.get $q)))))
                  (local.set $p (i32.add (local.get $p) (i32.const 4)))
                  (local.set $q (i32.add (local.get $q) (i32.const 4)))
                  (local.set $o (i32.sub (local.get $o) (i32.const 1)))
                  (br_if $inner (local.get $o)))
                (local.set $w (i32.add (local.get $w) (i32.const 96)))
                (local.set $i (i32.add (local.get $i) (i32.const 1)))
                (br_if $outer (i32.ne (local.get $i) (local.get $n))))))
          ;; f5 densePeeled(y, x, w, n): dense1 with y[0] updated before the inner loop, as clang
          ;; peels an iteration: a store outside the inner loop.
          \(oneRowFunction("densePeeled", peeled: true))
          ;; f6 rows(y, w, n): y[24i + o] = 2·w[24i + o]: what the inner loop stores moves with the
          ;; outer loop, nothing accumulates, and the nest stays as it is.
          (func (export "rows") (param $y i32) (param $w i32) (param $n i32) (local $i i32) (local $o i32)
            (block $done
              (br_if $done (i32.eqz (local.get $n)))
              (loop $outer
                (local.set $o (i32.const 0))
                (loop $inner
                  (f32.store (i32.add (local.get $y) (local.get $o))
                    (f32.mul (f32.const 2) (f32.load (i32.add (local.get $w) (local.get $o)))))
                  (local.set $o (i32.add (local.get $o) (i32.const 4)))
                  (br_if $inner (i32.ne (local.get $o) (i32.const 96))))
                (local.set $y (i32.add (local.get $y) (i32.const 96)))
                (local.set $w (i32.add (local.get $w) (i32.const 96)))
                (local.set $i (i32.add (local.get $i) (i32.const 1)))
                (br_if $outer (i32.ne (local.get $i) (local.get $n))))))
          ;; f7 fillf32(n)
          \(memoryFillFunction("f32"))
          ;; f8 hash(n)
          \(memoryHashFunction))
        """

    /// dense4, dense1, dense2, denseTail, densePointers and densePeeled are jammed (the original nest, which the jammed one is versioned against,
    /// is there as `<block>.unjammed`), on AVX2 and on SSE2 hosts; rows, which accumulates
    /// nothing, is not.
    @Test func accumulatingNestsAreJammed() throws {
        for cpu in ["x86-64-v3", "x86-64"] {
            let bodies = try optimizedIR(of: Self.module, functions: [0, 1, 2, 3, 4, 5, 6], cpu: cpu)
            let jammed = [(0, "dense4"), (1, "dense1"), (2, "dense2"), (3, "denseTail"), (4, "densePointers"), (5, "densePeeled")]
            for (index, name) in jammed {
                let labels = blockLabels(bodies[index]!)
                #expect(labels.contains { $0.hasSuffix(".unjammed") }, "\(name) for \(cpu): blocks \(labels)")
            }
            let labels = blockLabels(bodies[6]!)
            #expect(!labels.contains { $0.contains("jam") }, "rows for \(cpu) was jammed: \(labels)")
        }
    }

    /// -O2 against -O0: the same memory, bit for bit, where the arrays are apart and where the
    /// rows overlap the weights or the inputs, or n is no multiple of the factor (the checks must
    /// send those to the original nest).
    @Test func resultsMatchUnoptimizedCode() throws {
        let optimized = try instantiate(Self.module)
        let reference = try instantiate(Self.module, options: CompileOptions(optimizationLevel: 0))
        func both(_ name: String, _ arguments: [Wasmc.Value]) throws -> [[Wasmc.Value]] {
            try [optimized, reference].map { instance in
                _ = try instance.call("fillf32", [.i32(16384)])
                _ = try instance.call(name, arguments)
                return try instance.call("hash", [.i32(65536)])
            }
        }
        // (y, x, w, n): dense4's rows take 1024 bytes (the others' 96), x 16n (4n),
        // w 256n (96n).
        let cases: [(y: Int32, x: Int32, w: Int32, n: Int32)] = [
            (0, 1024, 8192, 64), (0, 1024, 8192, 63), (0, 1024, 8192, 2), (0, 1024, 8192, 1),
            (8192 + 256, 1024, 8192, 64), (8192 + 16384 - 256, 1024, 8192, 64), (8192 - 1024, 1024, 8192, 64),
            (8192 - 1020, 1024, 8192, 64), (8192 - 96, 1024, 8192, 64), (8192 - 92, 1024, 8192, 64),
            (1024 + 32, 1024, 8192, 64), (1024, 1024, 8192, 64), (1024 - 1020, 1024, 8192, 64),
            (1024 - 92, 1024, 8192, 64), (40000, 0, 4, 128),
        ]
        for (y, x, w, n) in cases {
            for name in ["dense4", "dense1", "densePointers", "densePeeled"] {
                let results = try both(name, [.i32(y), .i32(x), .i32(w), .i32(n)])
                #expect(results[0] == results[1], "\(name)(\(y), \(x), \(w), \(n)): -O2 \(results[0]), -O0 \(results[1])")
            }
        }
        // dense2's rows are 256 bytes apart and take 4m bytes each (x 8192 at 1024, w 1024n at
        // 16384).
        let rows: [(y: Int32, n: Int32)] = [(0, 8), (0, 7), (16384 - 512, 8), (16384 + 1024, 8), (1024 + 4096 - 4, 8)]
        for m: Int32 in [1, 16, 63, 64, 65, 128] {
            for (y, n) in rows {
                let results = try both("dense2", [.i32(y), .i32(1024), .i32(16384), .i32(n), .i32(m)])
                #expect(results[0] == results[1], "dense2(\(y), 1024, 16384, \(n), \(m)): -O2 \(results[0]), -O0 \(results[1])")
            }
        }
        // denseTail's row takes 4m bytes (x 4n at 1024, w 1024n at 16384): the vector loop, the
        // tail or both, against the same overlaps.
        let tails: [(y: Int32, n: Int32)] = [(0, 8), (0, 6), (16384 - 256, 8), (16384 + 2048 + 8, 8), (1024 + 12, 8), (40000, 12)]
        for m: Int32 in [1, 3, 4, 16, 61, 64, 200] {
            for (y, n) in tails {
                let results = try both("denseTail", [.i32(y), .i32(1024), .i32(16384), .i32(n), .i32(m)])
                #expect(results[0] == results[1], "denseTail(\(y), 1024, 16384, \(n), \(m)): -O2 \(results[0]), -O0 \(results[1])")
            }
        }
    }

    /// Weights that run past the end of memory trap at every level, jammed or not.
    @Test func outOfBoundsWeightsStillTrap() throws {
        for level in [0, 2] {
            let instance = try instantiate(Self.module, options: CompileOptions(optimizationLevel: level))
            #expect(throws: Trap.memoryOutOfBounds, "dense4 at -O\(level)") {
                try instance.call("dense4", [.i32(0), .i32(1024), .i32(65536 - 256 * 32), .i32(64)])
            }
            #expect(throws: Trap.memoryOutOfBounds, "dense1 at -O\(level)") {
                try instance.call("dense1", [.i32(0), .i32(1024), .i32(65536 - 96 * 32), .i32(64)])
            }
        }
    }
}
