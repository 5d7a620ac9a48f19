;; SIMD128: i32x4.add and friends, lowered to NEON on aarch64 (and RVV on riscv64 with +v).
(module
  (func (export "add") (param $a i32) (param $b i32) (result v128)
    (i32x4.add (i32x4.splat (local.get $a))
               (i32x4.add (v128.const i32x4 1 2 3 4) (i32x4.splat (local.get $b)))))
  ;; The lanes of (a,a,a,a) + (1,2,3,4) summed horizontally: 4a + 10.
  (func (export "hsum") (param $a i32) (result i32)
    (local $v v128)
    (local.set $v (i32x4.add (i32x4.splat (local.get $a)) (v128.const i32x4 1 2 3 4)))
    (i32.add (i32.add (i32x4.extract_lane 0 (local.get $v)) (i32x4.extract_lane 1 (local.get $v)))
             (i32.add (i32x4.extract_lane 2 (local.get $v)) (i32x4.extract_lane 3 (local.get $v)))))
  ;; i8x16.swizzle (tbl on aarch64) and a saturating q15 multiply (sqrdmulh): lanes reversed.
  (func (export "swizzle") (result v128)
    (i8x16.swizzle (v128.const i32x4 0x03020100 0x07060504 0x0b0a0908 0x0f0e0d0c)
                   (v128.const i8x16 12 13 14 15 8 9 10 11 4 5 6 7 0 1 2 3)))
  (func (export "q15") (result v128)
    (i16x8.q15mulr_sat_s (v128.const i16x8 16384 -32768 100 0 0 0 0 0)
                         (v128.const i16x8 16384 -32768 200 0 0 0 0 0)))
  ;; Swizzle with indices only known at run time: lane i reads byte (p + i) mod 256 of the
  ;; table 0..15, or 0 where that index is 16 or more.
  (func (export "swizzle_from") (param $p i32) (result v128)
    (i8x16.swizzle (v128.const i32x4 0x03020100 0x07060504 0x0b0a0908 0x0f0e0d0c)
                   (i8x16.add (i8x16.splat (local.get $p))
                              (v128.const i8x16 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15)))))
