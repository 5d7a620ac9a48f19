import Foundation
import Testing
import Wasmc
import WasmcBackend
import WAT

/// The pass that turns 128-bit SIMD loops into loops over one lane for the vectorizer to widen
/// (Sources/CLLVMPasses/LoopDevectorize.cpp), on loops written the way clang -O3 -msimd128
/// emits them.
@Suite("Widening 128-bit SIMD loops")
struct LoopDevectorizeTests {
    /// `name(dst, src, n)`: dst[j] = src[j] - src[j - lanesBack] for f32 lanes, the vector before
    /// (loaded first from `initialFrom` bytes before src) carried to the next iteration and
    /// shifted in by `lanesBack` lanes with a shuffle, as clang vectorizes such a loop.
    /// With `returnsLast`, it returns the last lane of the last vector it loaded (src[n - 1]),
    /// a vector the loop leaves for the code after it.
    static func differenceFunction(_ name: String, lanesBack: Int, initialFrom: Int, returnsLast: Bool = false) -> String {
        let mask = (0..<16).map { String(16 - 4 * lanesBack + $0) }.joined(separator: " ")
        return """
            (func (export "\(name)") (param $dst i32) (param $src i32) (param $n i32) \(returnsLast ? "(result f32)" : "")
              (local $end i32) (local $prev v128) (local $cur v128)
              (local.set $end (i32.add (local.get $dst) (i32.shl (local.get $n) (i32.const 2))))
              (local.set $prev (v128.load (i32.sub (local.get $src) (i32.const \(initialFrom)))))
              (block $done
                (br_if $done (i32.eqz (local.get $n)))
                (loop $next
                  (local.set $cur (v128.load (local.get $src)))
                  (v128.store (local.get $dst)
                    (f32x4.sub (local.get $cur) (i8x16.shuffle \(mask) (local.get $prev) (local.get $cur))))
                  (local.set $prev (local.get $cur))
                  (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
                  (local.set $src (i32.add (local.get $src) (i32.const 16)))
                  (br_if $next (i32.ne (local.get $dst) (local.get $end)))))
              \(returnsLast ? "(f32x4.extract_lane 3 (local.get $prev))" : ""))
            """
    }

    static let module = """
        (module
          (memory (export "memory") 1)
          ;; f0 axpy(dst, src, n, a): dst[j] += a·src[j] for j < n (n a multiple of 4), four
          ;; lanes per iteration, the pointers moving until dst reaches its end.
          (func (export "axpy") (param $dst i32) (param $src i32) (param $n i32) (param $a f32)
            (local $end i32) (local $av v128)
            (local.set $av (f32x4.splat (local.get $a)))
            (local.set $end (i32.add (local.get $dst) (i32.shl (local.get $n) (i32.const 2))))
            (block $done
              (br_if $done (i32.eqz (local.get $n)))
              (loop $next
                (v128.store (local.get $dst)
                  (f32x4.add (v128.load (local.get $dst)) (f32x4.mul (local.get $av) (v128.load (local.get $src)))))
                (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
                (local.set $src (i32.add (local.get $src) (i32.const 16)))
                (br_if $next (i32.ne (local.get $dst) (local.get $end))))))
          ;; f1 maxmul(dst, src, c): dst[j] = max(src[j]·3, dst[j] - 1) as i32 lanes, j < c,
          ;; through an index and an offset immediate, counting c down by 4.
          (func (export "maxmul") (param $dst i32) (param $src i32) (param $c i32) (local $j i32)
            (block $done
              (br_if $done (i32.eqz (local.get $c)))
              (loop $next
                (v128.store offset=16 (i32.add (local.get $dst) (local.get $j))
                  (i32x4.max_s
                    (i32x4.mul (v128.load (i32.add (local.get $src) (local.get $j))) (i32x4.splat (i32.const 3)))
                    (i32x4.sub (v128.load offset=16 (i32.add (local.get $dst) (local.get $j))) (i32x4.splat (i32.const 1)))))
                (local.set $j (i32.add (local.get $j) (i32.const 16)))
                (local.set $c (i32.sub (local.get $c) (i32.const 4)))
                (br_if $next (local.get $c)))))
          ;; f2 reverse(dst, src, n): each group of four i32s reversed: lanes cross, so the loop
          ;; stays a 128-bit loop.
          (func (export "reverse") (param $dst i32) (param $src i32) (param $n i32) (local $end i32)
            (local.set $end (i32.add (local.get $dst) (i32.shl (local.get $n) (i32.const 2))))
            (block $done
              (br_if $done (i32.eqz (local.get $n)))
              (loop $next
                (v128.store (local.get $dst)
                  (i8x16.shuffle 12 13 14 15 8 9 10 11 4 5 6 7 0 1 2 3 (v128.load (local.get $src)) (v128.load (local.get $src))))
                (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
                (local.set $src (i32.add (local.get $src) (i32.const 16)))
                (br_if $next (i32.ne (local.get $dst) (local.get $end))))))
          ;; f3 fill(n): i32 i = 7i - 300 for i < n.
          (func (export "fill") (param $n i32) (local $i i32)
            (block $done
              (loop $next
                (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
                (i32.store (i32.shl (local.get $i) (i32.const 2)) (i32.sub (i32.mul (local.get $i) (i32.const 7)) (i32.const 300)))
                (local.set $i (i32.add (local.get $i) (i32.const 1)))
                (br $next))))
          ;; f4 hash(n)
          \(memoryHashFunction)
          ;; f5 fillf32(n)
          \(memoryFillFunction("f32"))
          ;; f6 diff(dst, src, n): dst[j] = src[j] - src[j - 1] as clang vectorizes it: the vector
          ;; before is carried to the next iteration and shifted in by one lane (a recurrence).
          \(differenceFunction("diff", lanesBack: 1, initialFrom: 16))
          ;; f7 diff2(dst, src, n): dst[j] = src[j] - src[j - 2], shifting in two lanes: not the
          ;; value of the iteration before, so the loop stays a 128-bit loop.
          \(differenceFunction("diff2", lanesBack: 2, initialFrom: 16))
          ;; f8 diffFar(dst, src, n): diff, but the vector before is loaded from 32 bytes before
          ;; src rather than 16, so its last lane is src[-5], not src[-1]: the first iteration
          ;; must subtract that (the recurrence carries the initial vector's last lane).
          \(differenceFunction("diffFar", lanesBack: 1, initialFrom: 32))
          ;; f9 diffLast(dst, src, n): diff, returning the last element it loaded: the loop's last
          ;; vector is used after it (through an LCSSA phi), so the loop stays a 128-bit loop.
          \(differenceFunction("diffLast", lanesBack: 1, initialFrom: 16, returnsLast: true)))
        """

    /// On an AVX2 host, axpy, maxmul and diff (with its recurrence) become loops over one lane
    /// that LLVM vectorizes 8 lanes wide; the 128-bit loop stays for the entries the checks send
    /// back to it. Loops whose lanes cross (reverse, diff2) or that leave a vector to the code
    /// after them (diffLast) stay as they are.
    @Test func laneWiseLoopsAreWidened() throws {
        let bodies = try optimizedIR(of: Self.module, functions: [0, 1, 2, 6, 7, 9])
        for (index, name, wide) in [(0, "axpy", "<8 x float>"), (1, "maxmul", "<8 x i32>"), (6, "diff", "<8 x float>")] {
            let labels = blockLabels(bodies[index]!)
            #expect(labels.contains { $0.hasSuffix(".simd128") }, "\(name): no 128-bit loop kept; blocks \(labels)")
            #expect(bodies[index]!.contains(wide), "\(name): no \(wide) in the optimized code")
        }
        for (index, name) in [(2, "reverse"), (7, "diff2"), (9, "diffLast")] {
            let labels = blockLabels(bodies[index]!)
            #expect(!labels.contains { $0.hasSuffix(".simd128") || $0.hasPrefix("lanes") }, "\(name) was rewritten: \(labels)")
        }
    }

    /// Where the host's vectors are 128 bits wide (x86-64 with SSE2 only), the loops already have
    /// the host's width and the pass leaves them alone.
    @Test func narrowHostsKeepTheLoops() throws {
        let bodies = try optimizedIR(of: Self.module, functions: [0, 1], cpu: "x86-64")
        for index in [0, 1] {
            let labels = blockLabels(bodies[index]!)
            #expect(!labels.contains { $0.hasSuffix(".simd128") }, "f\(index) was rewritten for SSE2: \(labels)")
        }
    }

    /// -O2 against -O0: the same memory, bit for bit, for disjoint arrays, in-place updates and
    /// arrays that overlap so that one lane reads what another writes (the checks must send
    /// those to the 128-bit loop).
    @Test func resultsMatchUnoptimizedCode() throws {
        let optimized = try instantiate(Self.module)
        let reference = try instantiate(Self.module, options: CompileOptions(optimizationLevel: 0))
        // The function's results, then the memory's hash.
        func both(_ name: String, _ arguments: [Wasmc.Value], fill: String = "fill") throws -> [[Wasmc.Value]] {
            try [optimized, reference].map { instance in
                _ = try instance.call(fill, [.i32(16384)])
                let results = try instance.call(name, arguments)
                return try results + instance.call("hash", [.i32(65536)])
            }
        }
        let cases: [(dst: Int32, src: Int32, n: Int32)] = [
            (32000, 0, 1000), (0, 32000, 4), (0, 0, 400), (4, 0, 400), (0, 4, 400), (16, 0, 400), (0, 16, 400),
            (12, 0, 64), (0, 12, 64), (8, 8, 8), (2, 0, 400), (0, 6, 400), (4000, 4000, 4096),
        ]
        for (dst, src, n) in cases {
            let axpy = try both("axpy", [.i32(dst), .i32(src), .i32(n), .f32(1.5)], fill: "fillf32")
            #expect(axpy[0] == axpy[1], "axpy(\(dst), \(src), \(n)): -O2 \(axpy[0]), -O0 \(axpy[1])")
            let maxmul = try both("maxmul", [.i32(dst), .i32(src), .i32(n)])
            #expect(maxmul[0] == maxmul[1], "maxmul(\(dst), \(src), \(n)): -O2 \(maxmul[0]), -O0 \(maxmul[1])")
            let reverse = try both("reverse", [.i32(dst), .i32(src), .i32(n)])
            #expect(reverse[0] == reverse[1], "reverse(\(dst), \(src), \(n)): -O2 \(reverse[0]), -O0 \(reverse[1])")
            // diff reads from src - 16 on, diffFar from src - 32.
            for name in ["diff", "diff2", "diffFar", "diffLast"] {
                let results = try both(name, [.i32(dst), .i32(src + 32), .i32(n)], fill: "fillf32")
                #expect(results[0] == results[1], "\(name)(\(dst), \(src + 32), \(n)): -O2 \(results[0]), -O0 \(results[1])")
            }
        }
    }

    /// With n not a multiple of 4, dst never equals its end: the module's loop runs on until it
    /// leaves memory and traps. The loop over one lane would stop at the end; the exactness check
    /// must send such entries to the 128-bit loop, which traps.
    @Test func inexactExitsStillTrap() throws {
        for level in [0, 2] {
            let instance = try instantiate(Self.module, options: CompileOptions(optimizationLevel: level))
            #expect(throws: Trap.memoryOutOfBounds, "axpy with n = 6 at -O\(level)") {
                try instance.call("axpy", [.i32(0), .i32(32000), .i32(6), .f32(2)])
            }
            #expect(throws: Trap.memoryOutOfBounds, "maxmul with c = 6 at -O\(level)") {
                try instance.call("maxmul", [.i32(0), .i32(32000), .i32(6)])
            }
        }
    }
}
