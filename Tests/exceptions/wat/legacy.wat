;; The legacy exception encoding (try, catch, catch_all, rethrow, delegate) in a WASI program.
;; Wasmtime does not implement it; the expected output was checked with V8 (Node).
;;   A. try with catch (i32), catch (i32 i64) and catch_all, each of three tags thrown, and
;;      no throw
;;   B. catch, an fd_write, then rethrow 0 to an outer catch of the same tag
;;   C. delegate 1 from an inner try: the exception skips the catch_all of the try between
;;      and is caught by the outermost one
;;   D. rethrow 1 from inside a nested catch_all: rethrows the outer handler's exception,
;;      not the inner one
;;   E. a throw ten frames down (fd_write in every frame), caught in the top frame
;; Exits with proc_exit(N), N = the number of handlers that ran (9).
(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)

  (tag $small (param i32))
  (tag $pair (param i32 i64))
  (tag $bare)

  (global $handled (mut i32) (i32.const 0))

  (data (i32.const 64) "A: small ")         ;; 64, 9
  (data (i32.const 80) "A: pair ")          ;; 80, 8
  (data (i32.const 96) "A: catch_all\n")    ;; 96, 13
  (data (i32.const 112) "A: no throw\n")    ;; 112, 12
  (data (i32.const 128) "B: caught, rethrowing\n")  ;; 128, 22
  (data (i32.const 160) "B: outer got ")    ;; 160, 13
  (data (i32.const 176) "C: skipped by delegate\n") ;; 176, 23
  (data (i32.const 208) "C: outermost got ") ;; 208, 17
  (data (i32.const 240) "D: inner catch_all\n")    ;; 240, 19
  (data (i32.const 272) "D: outer got the first: ") ;; 272, 24
  (data (i32.const 304) "E: frame ")        ;; 304, 9
  (data (i32.const 320) "E: caught ")       ;; 320, 10
  (data (i32.const 336) "done, handlers: ") ;; 336, 16
  (data (i32.const 352) "never\n")          ;; 352, 6

  (func $say (param $ptr i32) (param $len i32)
    (i32.store (i32.const 0) (local.get $ptr))
    (i32.store (i32.const 4) (local.get $len))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))
  (func $num (param $v i64)
    (local $p i32) (local $neg i32)
    (local.set $neg (i64.lt_s (local.get $v) (i64.const 0)))
    (if (local.get $neg) (then (local.set $v (i64.sub (i64.const 0) (local.get $v)))))
    (local.set $p (i32.const 63))
    (i32.store8 (local.get $p) (i32.const 10))
    (loop $digits
      (local.set $p (i32.sub (local.get $p) (i32.const 1)))
      (i32.store8 (local.get $p)
        (i32.add (i32.const 48) (i32.wrap_i64 (i64.rem_u (local.get $v) (i64.const 10)))))
      (local.set $v (i64.div_u (local.get $v) (i64.const 10)))
      (br_if $digits (i64.ne (local.get $v) (i64.const 0))))
    (if (local.get $neg)
      (then
        (local.set $p (i32.sub (local.get $p) (i32.const 1)))
        (i32.store8 (local.get $p) (i32.const 45))))
    (call $say (local.get $p) (i32.sub (i32.const 64) (local.get $p))))
  (func $handled (global.set $handled (i32.add (global.get $handled) (i32.const 1))))

  ;; ---- A ----
  (func $throw_kind (param $k i32)
    (if (i32.eq (local.get $k) (i32.const 0)) (then (throw $small (i32.const 11))))
    (if (i32.eq (local.get $k) (i32.const 1)) (then (throw $pair (i32.const 22) (i64.const -3))))
    (if (i32.eq (local.get $k) (i32.const 2)) (then (throw $bare))))
  (func $case_a (param $k i32)
    (local $x i32) (local $y i64)
    try
      (call $throw_kind (local.get $k))
      (call $say (i32.const 112) (i32.const 12))
    catch $small
      local.set $x
      call $handled
      (call $say (i32.const 64) (i32.const 9))
      (call $num (i64.extend_i32_s (local.get $x)))
    catch $pair
      local.set $y
      local.set $x
      call $handled
      (call $say (i32.const 80) (i32.const 8))
      (call $num (i64.extend_i32_s (local.get $x)))
      (call $num (local.get $y))
    catch_all
      call $handled
      (call $say (i32.const 96) (i32.const 13))
    end)

  ;; ---- B ----
  (func $case_b
    try
      try $inner
        (throw $small (i32.const 5))
      catch $small
        drop
        call $handled
        (call $say (i32.const 128) (i32.const 22))
        rethrow $inner
      end
    catch $small
      call $handled
      (call $say (i32.const 160) (i32.const 13))
      i64.extend_i32_s
      call $num
    end)

  ;; ---- C ----
  (func $case_c
    try $outermost
      try
        try
          (throw $small (i32.const 77))
        delegate $outermost
      catch_all
        (call $say (i32.const 176) (i32.const 23))
      end
    catch $small
      call $handled
      (call $say (i32.const 208) (i32.const 17))
      i64.extend_i32_s
      call $num
    end)

  ;; ---- D ----
  (func $case_d
    try
      try $first
        (throw $small (i32.const 1))
      catch $small
        drop
        try
          throw $bare
        catch_all
          call $handled
          (call $say (i32.const 240) (i32.const 19))
          rethrow $first
        end
      end
    catch $small
      call $handled
      (call $say (i32.const 272) (i32.const 24))
      i64.extend_i32_s
      call $num
    end)

  ;; ---- E ----
  (func $down (param $n i32)
    (call $say (i32.const 304) (i32.const 9))
    (call $num (i64.extend_i32_s (local.get $n)))
    (if (i32.eqz (local.get $n))
      (then (throw $pair (i32.const 3) (i64.const 4))))
    (call $down (i32.sub (local.get $n) (i32.const 1)))
    (call $say (i32.const 352) (i32.const 6)))
  (func $case_e
    try
      (call $down (i32.const 9))
    catch $pair
      call $handled
      (call $say (i32.const 320) (i32.const 10))
      call $num
      i64.extend_i32_s
      call $num
    end)

  (func (export "_start")
    (call $case_a (i32.const 0))
    (call $case_a (i32.const 1))
    (call $case_a (i32.const 2))
    (call $case_a (i32.const 3))
    (call $case_b)
    (call $case_c)
    (call $case_d)
    (call $case_e)
    (call $say (i32.const 336) (i32.const 16))
    (call $num (i64.extend_i32_s (global.get $handled)))
    (call $proc_exit (global.get $handled))))
