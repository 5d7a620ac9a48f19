;; call_indirect: a table of functions of two types, the signature check and the element checks.
(module
  (type $binary (func (param i32 i32) (result i32)))
  (type $unary (func (param i32) (result i32)))
  (func $add (type $binary) (i32.add (local.get 0) (local.get 1)))
  (func $sub (type $binary) (i32.sub (local.get 0) (local.get 1)))
  (func $mul (type $binary) (i32.mul (local.get 0) (local.get 1)))
  (func $neg (type $unary) (i32.sub (i32.const 0) (local.get 0)))
  (table 6 funcref)
  (elem (i32.const 0) $add $sub $mul $neg)
  ;; Calls table[i](a, b) as a binary function.
  (func (export "dispatch") (param $i i32) (param $a i32) (param $b i32) (result i32)
    (call_indirect (type $binary) (local.get $a) (local.get $b) (local.get $i))))
