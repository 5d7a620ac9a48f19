;; expect: 17 passed, 9 failed
;; Self-test of wasmc-spec-test: each kind of command, checked both ways. Each command below
;; says whether it must pass; modules and registrations pass.
(module $M
  (global (export "g") i32 (i32.const 7))
  (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
  (func (export "wide") (param i64) (result i64) (i64.mul (local.get 0) (i64.const 3)))
  (func (export "nan") (result f32) (f32.reinterpret_i32 (i32.const 0x7fc00001)))
  (func (export "div") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
  (func (export "boom") (unreachable))
  (func $down (export "down") (call $down))
  (func (export "id") (param externref) (result externref) (local.get 0))
  (func (export "pair") (result i32 i64) (i32.const 1) (i64.const 2)))
(register "m" $M)

;; pass, fail: scalars compared bit for bit.
(assert_return (invoke "add" (i32.const 2) (i32.const 3)) (i32.const 5))
(assert_return (invoke "add" (i32.const 2) (i32.const 3)) (i32.const 6))
;; pass: i64 above 2^32.
(assert_return (invoke "wide" (i64.const 0x100000000)) (i64.const 0x300000000))
;; fail, pass: a payload is arithmetic but not canonical.
(assert_return (invoke "nan") (f32.const nan:canonical))
(assert_return (invoke "nan") (f32.const nan:arithmetic))
;; fail: returned, a trap was expected; fail: another trap; pass, pass.
(assert_trap (invoke "add" (i32.const 1) (i32.const 1)) "unreachable")
(assert_trap (invoke "boom") "integer divide by zero")
(assert_trap (invoke "div" (i32.const 1) (i32.const 0)) "integer divide by zero")
(assert_exhaustion (invoke "down") "call stack exhausted")
;; pass, fail: globals.
(assert_return (get "g") (i32.const 7))
(assert_return (get "g") (i32.const 8))
;; pass, fail, pass: externrefs keep their identity; null is not ref.extern 0.
(assert_return (invoke "id" (ref.extern 1)) (ref.extern 1))
(assert_return (invoke "id" (ref.extern 1)) (ref.extern 2))
(assert_return (invoke "id" (ref.null extern)) (ref.null extern))
;; pass, fail: multiple results, and too few expected.
(assert_return (invoke "pair") (i32.const 1) (i64.const 2))
(assert_return (invoke "pair") (i32.const 1))

;; Imports from a registered module (pass) and from spectest.
(module $N
  (import "m" "add" (func $add (param i32 i32) (result i32)))
  (import "spectest" "global_i32" (global $g i32))
  (func (export "plus666") (param i32) (result i32) (call $add (local.get 0) (global.get $g))))
;; pass: the current module; pass: a named one after another module.
(assert_return (invoke "plus666" (i32.const 1)) (i32.const 667))
(assert_return (invoke $M "add" (i32.const 4) (i32.const 4)) (i32.const 8))
;; pass: unknown import; fail: it links.
(assert_unlinkable (module (import "m" "nothing" (func))) "unknown import")
(assert_unlinkable (module (import "m" "add" (func (param i32 i32) (result i32)))) "unknown import")
;; pass: incompatible import type.
(assert_unlinkable (module (import "m" "add" (func (param i32)))) "incompatible import type")
;; pass: the start function traps; fail: it does not.
(assert_trap (module (func $s unreachable) (start $s)) "unreachable")
(assert_trap (module (func $s nop) (start $s)) "unreachable")
