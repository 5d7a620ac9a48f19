;; expect: 8 passed, 1 failed
;; Self-test of wasmc-spec-test: v128 arguments and results in every lane shape.
(module (func (export "id") (param v128) (result v128) (local.get 0)))
(assert_return (invoke "id" (v128.const i8x16 -1 2 -3 4 -5 6 -7 8 -9 10 -11 12 -13 14 -15 127))
               (v128.const i8x16 255 2 253 4 251 6 249 8 247 10 245 12 243 14 241 127))
(assert_return (invoke "id" (v128.const i16x8 -1 2 -3 4 -5 6 -7 32767))
               (v128.const i16x8 65535 2 65533 4 65531 6 65529 32767))
(assert_return (invoke "id" (v128.const i32x4 -1 2 -3 4)) (v128.const i32x4 0xffffffff 2 0xfffffffd 4))
(assert_return (invoke "id" (v128.const i64x2 -1 2)) (v128.const i64x2 0xffffffffffffffff 2))
(assert_return (invoke "id" (v128.const f32x4 1.5 -0 inf -inf)) (v128.const i32x4 0x3fc00000 0x80000000 0x7f800000 0xff800000))
(assert_return (invoke "id" (v128.const f64x2 -2.5 nan:0x1)) (v128.const i64x2 0xc004000000000000 0x7ff0000000000001))
(assert_return (invoke "id" (v128.const i8x16 1 0 0 0 2 0 0 0 3 0 0 0 4 0 0 0)) (v128.const i32x4 1 2 3 4))
;; fail: lane order matters.
(assert_return (invoke "id" (v128.const i32x4 1 2 3 4)) (v128.const i32x4 4 3 2 1))
