;; Benchmarks of the exception-handling proposal (the 3.0 encoding). Every export takes an
;; iteration count N and returns an i32 checksum that run_wasmtime.py checks.
;;   plain(N)        N calls of $work, no try_table anywhere on the path
;;   in_try(N)       the same N calls, each inside its own try_table (nothing is thrown);
;;                   same checksum as plain(N)
;;   throw_local(N)  N throws caught by a try_table of the same function (no call)
;;   throw1(N)       N throws from 1 frame down: the thrower is called from inside the
;;                   try_table and throws itself
;;   throw10(N)      the same from 10 frames down (a recursion 10 calls deep, no tail calls)
;;   throw100(N)     the same from 100 frames down
;; $work and $descend call themselves (under a condition that never holds here, and $descend
;; for real), which keeps optimizing compilers from inlining them, and both may throw, so the
;; try_table around a call cannot be proven dead.
(module
  (tag $e (param i32))

  ;; A small function: a multiplicative hash of x. Never true here: x = -1 (throws) and
  ;; x = 0x7fffffff (calls itself).
  (func $work (param $x i32) (result i32)
    (if (i32.eq (local.get $x) (i32.const -1))
      (then (throw $e (local.get $x))))
    (if (i32.eq (local.get $x) (i32.const 0x7fffffff))
      (then (return (i32.add (call $work (i32.const 0)) (i32.const 1)))))
    (i32.xor
      (i32.shr_u (i32.mul (local.get $x) (i32.const 0x9e3779b1)) (i32.const 7))
      (local.get $x)))

  ;; sum of work(i) for i < n
  (func (export "plain") (param $n i32) (result i32)
    (local $i i32) (local $acc i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $acc (i32.add (local.get $acc) (call $work (local.get $i))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (local.get $acc))

  ;; the same sum, each call inside a try_table; a catch would add the payload plus 1000
  (func (export "in_try") (param $n i32) (result i32)
    (local $i i32) (local $acc i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (block $caught (result i32)
          (try_table (catch $e $caught)
            (local.set $acc (i32.add (local.get $acc) (call $work (local.get $i)))))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $next))
        (local.set $acc (i32.add (local.get $acc) (i32.add (i32.const 1000))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (local.get $acc))

  ;; sum of i for i < n, each i thrown and caught in this function
  (func (export "throw_local") (param $n i32) (result i32)
    (local $i i32) (local $acc i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (block $caught (result i32)
          (try_table (catch $e $caught)
            (throw $e (local.get $i)))
          unreachable)
        (local.set $acc (i32.add (local.get $acc)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (local.get $acc))

  ;; d frames: descend(1, v) throws v; descend(d, v) calls descend(d - 1, v + 1) and uses the
  ;; result (so the call is not a tail call). It never returns normally here.
  (func $descend (param $d i32) (param $v i32) (result i32)
    (if (i32.le_u (local.get $d) (i32.const 1))
      (then (throw $e (local.get $v))))
    (i32.add
      (call $descend (i32.sub (local.get $d) (i32.const 1)) (i32.add (local.get $v) (i32.const 1)))
      (local.get $d)))

  ;; sum over i < n of the payload caught from descend(d, i), which is i + d - 1
  (func $throw_depth (param $n i32) (param $d i32) (result i32)
    (local $i i32) (local $acc i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (block $caught (result i32)
          (try_table (catch $e $caught)
            (drop (call $descend (local.get $d) (local.get $i))))
          unreachable)
        (local.set $acc (i32.add (local.get $acc)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (local.get $acc))

  (func (export "throw1") (param $n i32) (result i32)
    (call $throw_depth (local.get $n) (i32.const 1)))
  (func (export "throw10") (param $n i32) (result i32)
    (call $throw_depth (local.get $n) (i32.const 10)))
  (func (export "throw100") (param $n i32) (result i32)
    (call $throw_depth (local.get $n) (i32.const 100))))
