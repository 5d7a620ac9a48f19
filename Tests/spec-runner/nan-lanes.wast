;; expect: 4 passed, 4 failed
;; Self-test of wasmc-spec-test: NaN lanes of v128 results follow the spec's rules per lane.
;; nan:canonical accepts only the canonical NaN (either sign); nan:arithmetic any quiet NaN;
;; other lanes compare bit for bit. Each assertion below says whether it must pass.
(module
  (func (export "f32") (param v128) (result v128) (local.get 0))
  (func (export "f64") (param v128) (result v128) (local.get 0)))

;; pass: canonical NaNs of both signs, then an exact lane.
(assert_return (invoke "f32" (v128.const i32x4 0x7fc00000 0xffc00000 0 0x3f800000))
               (v128.const f32x4 nan:canonical nan:canonical 0 1))
;; fail: a payload is not canonical.
(assert_return (invoke "f32" (v128.const i32x4 0x7fc00000 0x7fc00001 0 0))
               (v128.const f32x4 nan:canonical nan:canonical 0 0))
;; pass: a payload is arithmetic.
(assert_return (invoke "f32" (v128.const i32x4 0x7fc00001 0xffc12345 0 0))
               (v128.const f32x4 nan:arithmetic nan:arithmetic 0 0))
;; fail: a signalling NaN is not arithmetic.
(assert_return (invoke "f32" (v128.const i32x4 0 0 0x7f800001 0))
               (v128.const f32x4 0 0 nan:arithmetic 0))
;; fail: a non-NaN lane must match exactly (-0 is not 0).
(assert_return (invoke "f32" (v128.const i32x4 0x7fc00000 0 0 0x80000000))
               (v128.const f32x4 nan:canonical 0 0 0))
;; pass and fail with f64x2 lanes.
(assert_return (invoke "f64" (v128.const i64x2 0x7ff8000000000000 0xfff8000000000001))
               (v128.const f64x2 nan:canonical nan:arithmetic))
(assert_return (invoke "f64" (v128.const i64x2 0x7ff8000000000001 0))
               (v128.const f64x2 nan:canonical 0))
