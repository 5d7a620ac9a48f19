;; For `wasmc run FILE --invoke check N`: check(N) returns N * 2 for N >= 0 and throws the
;; exported tag "my_error" with payload N otherwise (an exception leaving an invoked export:
;; one line naming the tag, exit 134). safe(N) calls check(N) inside a try_table and returns
;; the payload instead, so it never throws.
(module
  (tag $my_error (export "my_error") (param i32))
  (func $check (export "check") (param $n i32) (result i32)
    (if (i32.lt_s (local.get $n) (i32.const 0))
      (then (throw $my_error (local.get $n))))
    (i32.mul (local.get $n) (i32.const 2)))
  (func (export "safe") (param $n i32) (result i32)
    (block $caught (result i32)
      (try_table (result i32) (catch $my_error $caught)
        (call $check (local.get $n)))
      return)))
