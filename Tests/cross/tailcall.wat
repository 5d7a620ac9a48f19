;; Tail calls run in constant stack: is_even(10^7) makes 3·10^7 calls, more than any stack holds
;; as ordinary calls (stack.wat: 10^4 deep is fine, unbounded recursion traps), through
;; return_call to functions of other signatures and return_call_indirect.
(module
  (type $pred (func (param i64) (result i32)))
  (table funcref (elem $is_even $is_odd))
  (func $is_even (export "is_even") (param $n i64) (result i32)
    (if (result i32) (i64.eqz (local.get $n))
      (then (i32.const 1))
      (else (return_call $step (i32.const 1) (local.get $n) (f64.const 0.5)))))
  ;; Another signature: more parameters, one of them a float.
  (func $step (param $k i32) (param $n i64) (param f64) (result i32)
    (return_call $is_odd (i64.sub (local.get $n) (i64.extend_i32_u (local.get $k)))))
  (func $is_odd (export "is_odd") (param $n i64) (result i32)
    (if (result i32) (i64.eqz (local.get $n))
      (then (i32.const 0))
      (else (return_call_indirect (type $pred) (i64.sub (local.get $n) (i64.const 1)) (i32.const 0))))))
