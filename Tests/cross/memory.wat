;; Linear memory under emulation: data segments, loads and stores, memory.grow, a guard-page trap.
(module
  (memory (export "memory") 1 4)
  (data (i32.const 16) "\2a\00\00\00")
  ;; Stores v at 1000 + i*4 for i in 0..n, then sums them back: n*v.
  (func (export "fill_sum") (param $n i32) (param $v i32) (result i32)
    (local $i i32) (local $sum i32)
    (block $done (loop $fill
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      (i32.store offset=1000 (i32.shl (local.get $i) (i32.const 2)) (local.get $v))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $fill)))
    (local.set $i (i32.const 0))
    (block $done (loop $sum
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $sum (i32.add (local.get $sum)
        (i32.load offset=1000 (i32.shl (local.get $i) (i32.const 2)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $sum)))
    (local.get $sum))
  (func (export "data") (result i32) (i32.load (i32.const 16)))
  ;; Grows by one page, stores at the new page's last word and reads it back: 1 then 77.
  (func (export "grow") (result i32 i32)
    (memory.grow (i32.const 1))
    (i32.store (i32.const 131068) (i32.const 77))
    (i32.load (i32.const 131068)))
  ;; A load at ADDR (with a 4-byte width): out of bounds past 65532 until the memory grows.
  (func (export "load") (param $addr i32) (result i32) (i32.load (local.get $addr)))
  (func (export "load_far") (result i64) (i64.load offset=0xfffffff0 (i32.const -1)))
  (func (export "div") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1))))
