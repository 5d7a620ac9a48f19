;; expect: 7 passed, 0 failed
;; expect linked: 5 passed, 2 failed
;; Self-test of --link-registered: the registered module is linked into its importer at compile
;; time. Calls across modules work both ways; state shared with the registered instance is not
;; shared when linked, since the importer gets an instance of its own of the linked module.
(module $Dep
  (memory (export "mem") 1)
  (global $g (mut i32) (i32.const 1))
  (func (export "twice") (param i32) (result i32) (i32.mul (local.get 0) (i32.const 2)))
  (func (export "set") (param i32) (global.set $g (local.get 0)))
  (func (export "get") (result i32) (global.get $g))
  (func (export "peek") (result i32) (i32.load8_u (i32.const 0))))
(register "dep" $Dep)
(invoke $Dep "set" (i32.const 5))
(module $User
  (import "dep" "twice" (func $twice (param i32) (result i32)))
  (import "dep" "get" (func $get (result i32)))
  (import "dep" "mem" (memory 1))
  (data (i32.const 0) "\2a")
  (func (export "quad") (param i32) (result i32) (call $twice (call $twice (local.get 0))))
  (func (export "dep-global") (result i32) (call $get)))
;; pass both ways: calls across modules.
(assert_return (invoke $User "quad" (i32.const 3)) (i32.const 12))
;; pass at run time, fail linked (linked-fail): the linked Dep's global is still 1.
(assert_return (invoke $User "dep-global") (i32.const 5))
;; pass at run time, fail linked (linked-fail): User's data went to the linked Dep's memory.
(assert_return (invoke $Dep "peek") (i32.const 42))
