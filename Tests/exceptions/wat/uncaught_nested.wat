;; A WASI program that prints a line, then throws from three calls down. On the way out the
;; exception passes a try_table that catches only another tag, and a catch_all_ref that rethrows
;; it with throw_ref; nothing catches it for good, so it leaves _start. The tag is not exported:
;; the name section calls it "inner" (`$inner`). Payload (i32 7, i64 -1).
;; Expected: "before" on stdout, exit 134, one line on stderr naming the tag.
(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "before\n")
  (tag $inner (param i32 i64))
  (tag $other (param i32))

  (func $bottom
    i32.const 7
    i64.const -1
    throw $inner)

  (func $middle
    (block $other_caught (result i32)
      (try_table (catch $other $other_caught)
        call $bottom)
      return)
    drop)

  (func $top
    (block $h (result exnref)
      (try_table (catch_all_ref $h)
        call $middle)
      return)
    throw_ref)

  (func (export "_start")
    ;; iovec at 0: (16, 7)
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const 7))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
    call $top))
