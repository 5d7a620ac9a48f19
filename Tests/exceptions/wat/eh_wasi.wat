;; The 3.0 exception instructions in a WASI program whose handlers and throwing frames make
;; fd_write calls (all output is fd_write; no stdio buffering).
;;   A. one try_table with catch (i32 payload), catch (i32 i64 payload) and catch_all, each
;;      of three tags thrown in turn, and no throw
;;   B. catch_ref, an fd_write, then throw_ref to an outer catch of the same tag
;;   C. a throw ten frames down a recursion that calls fd_write in every frame and reaches the
;;      bottom through call_indirect; caught at the top with catch_all_ref, rethrown once more
;;      with throw_ref and caught by tag
;;   D. fd_write to a closed descriptor: its errno (8, EBADF) thrown two frames up
;;   E. one exnref kept in a local and thrown twice
;; Exits with proc_exit(N), N = the number of handlers that ran (10).
(module
  (type $void (func))
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  (table 1 funcref)
  (elem (i32.const 0) $bottom)

  (tag $small (param i32))
  (tag $pair (param i32 i64))
  (tag $bare)
  (tag $wasi_error (param i32))

  (global $handled (mut i32) (i32.const 0))

  ;; 0..31: iovec, nwritten, digits. 64..: text
  (data (i32.const 64) "A: small \n")      ;; 64, 9 (+\n at 73)
  (data (i32.const 80) "A: pair ")         ;; 80, 8
  (data (i32.const 96) "A: catch_all\n")   ;; 96, 13
  (data (i32.const 112) "A: no throw\n")   ;; 112, 12
  (data (i32.const 128) "B: caught ref, rethrowing\n")  ;; 128, 26
  (data (i32.const 160) "B: outer got ")   ;; 160, 13
  (data (i32.const 176) "C: frame ")       ;; 176, 9
  (data (i32.const 192) "C: caught at the top, again\n") ;; 192, 28
  (data (i32.const 224) "C: final catch ") ;; 224, 15
  (data (i32.const 240) "D: fd_write errno ") ;; 240, 18
  (data (i32.const 272) "E: throw number ")   ;; 272, 16
  (data (i32.const 288) "done, handlers: ")   ;; 288, 16
  (data (i32.const 304) "never\n")            ;; 304, 6

  ;; write(fd, ptr, len) -> errno
  (func $write (param $fd i32) (param $ptr i32) (param $len i32) (result i32)
    (i32.store (i32.const 0) (local.get $ptr))
    (i32.store (i32.const 4) (local.get $len))
    (call $fd_write (local.get $fd) (i32.const 0) (i32.const 1) (i32.const 8)))
  (func $say (param $ptr i32) (param $len i32)
    (drop (call $write (i32.const 1) (local.get $ptr) (local.get $len))))
  ;; the decimal digits of a signed number, then a newline
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
    (local $x i32)
    (block $done
      (block $all
        (block $pair_h (result i32 i64)
          (block $small_h (result i32)
            (try_table (catch $small $small_h) (catch $pair $pair_h) (catch_all $all)
              (call $throw_kind (local.get $k)))
            (call $say (i32.const 112) (i32.const 12))
            (br $done))
          ;; small payload
          (local.set $x)
          (call $handled)
          (call $say (i32.const 64) (i32.const 9))
          (call $num (i64.extend_i32_s (local.get $x)))
          (br $done))
        ;; pair payload: i32 below i64
        (call $handled)
        (call $say (i32.const 80) (i32.const 8))
        (call $num)  ;; the i64
        (call $num (i64.extend_i32_s))
        (br $done))
      (call $handled)
      (call $say (i32.const 96) (i32.const 13))))

  ;; ---- B ----
  (func $case_b
    (block $outer (result i32)
      (try_table (catch $small $outer)
        (block $inner (result i32 exnref)
          (try_table (catch_ref $small $inner)
            (throw $small (i32.const 5)))
          unreachable)
        ;; the payload and the exception: print, drop the payload, rethrow the same exception
        (call $handled)
        (call $say (i32.const 128) (i32.const 26))
        throw_ref)
      unreachable)
    (call $handled)
    (call $say (i32.const 160) (i32.const 13))
    (call $num (i64.extend_i32_s)))

  ;; ---- C ----
  (func $bottom (throw $pair (i32.const 10) (i64.const 1000000000000)))
  (func $down (param $n i32)
    (call $say (i32.const 176) (i32.const 9))
    (call $num (i64.extend_i32_s (local.get $n)))
    (if (i32.eqz (local.get $n))
      (then (call_indirect (type $void) (i32.const 0))))
    (call $down (i32.sub (local.get $n) (i32.const 1)))
    (call $say (i32.const 304) (i32.const 6)))
  (func $case_c
    (block $final (result i32 i64)
      (try_table (catch $pair $final)
        (block $top (result exnref)
          (try_table (catch_all_ref $top)
            (call $down (i32.const 9)))
          unreachable)
        (call $handled)
        (call $say (i32.const 192) (i32.const 28))
        throw_ref)
      unreachable)
    (call $handled)
    (call $say (i32.const 224) (i32.const 15))
    (call $num)
    (call $num (i64.extend_i32_s)))

  ;; ---- D ----
  (func $checked_write (param $fd i32)
    (local $err i32)
    (local.set $err (call $write (local.get $fd) (i32.const 304) (i32.const 6)))
    (if (local.get $err) (then (throw $wasi_error (local.get $err)))))
  (func $log_to (param $fd i32)
    (call $checked_write (local.get $fd))
    (call $say (i32.const 304) (i32.const 6)))
  (func $case_d
    (block $h (result i32)
      (try_table (catch $wasi_error $h)
        (call $log_to (i32.const 99)))
      (call $say (i32.const 304) (i32.const 6))
      return)
    (call $handled)
    (call $say (i32.const 240) (i32.const 18))
    (call $num (i64.extend_i32_s)))

  ;; ---- E ----
  (func $case_e
    (local $kept exnref)
    (local $i i32)
    (block $h (result exnref)
      (try_table (catch_all_ref $h)
        (throw $bare))
      unreachable)
    (local.set $kept)
    (loop $again
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (block $c
        (try_table (catch $bare $c)
          (throw_ref (local.get $kept)))
        unreachable)
      (call $handled)
      (call $say (i32.const 272) (i32.const 16))
      (call $num (i64.extend_i32_s (local.get $i)))
      (br_if $again (i32.lt_u (local.get $i) (i32.const 2)))))

  (func (export "_start")
    (call $case_a (i32.const 0))
    (call $case_a (i32.const 1))
    (call $case_a (i32.const 2))
    (call $case_a (i32.const 3))
    (call $case_b)
    (call $case_c)
    (call $case_d)
    (call $case_e)
    (call $say (i32.const 288) (i32.const 16))
    (call $num (i64.extend_i32_s (global.get $handled)))
    (call $proc_exit (global.get $handled))))
