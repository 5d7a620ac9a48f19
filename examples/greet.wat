;; A WASI command: prints "hello, NAME" for its first argument and exits 0, or prints a usage
;; line on stderr and exits 2.   wasmc run examples/greet.wat -- world
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $args_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_get" (func $args_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "hello, ")
  (data (i32.const 16) "usage: greet NAME\n")
  (data (i32.const 40) "\n")
  ;; Memory: 48 iovec, 64 argc/argv-size, 128 argv pointers, 1024 argument strings.
  (func $write (param $fd i32) (param $text i32) (param $length i32)
    (i32.store (i32.const 48) (local.get $text))
    (i32.store (i32.const 52) (local.get $length))
    (drop (call $fd_write (local.get $fd) (i32.const 48) (i32.const 1) (i32.const 56))))
  (func $strlen (param $text i32) (result i32) (local $length i32)
    (block $done
      (loop $next
        (br_if $done (i32.eqz (i32.load8_u (i32.add (local.get $text) (local.get $length)))))
        (local.set $length (i32.add (local.get $length) (i32.const 1)))
        (br $next)))
    (local.get $length))
  (func (export "_start") (local $name i32)
    (drop (call $args_sizes_get (i32.const 64) (i32.const 68)))
    (if (i32.lt_u (i32.load (i32.const 64)) (i32.const 2))
      (then
        (call $write (i32.const 2) (i32.const 16) (i32.const 18))
        (call $proc_exit (i32.const 2))))
    (drop (call $args_get (i32.const 128) (i32.const 1024)))
    (local.set $name (i32.load (i32.const 132)))
    (call $write (i32.const 1) (i32.const 0) (i32.const 7))
    (call $write (i32.const 1) (local.get $name) (call $strlen (local.get $name)))
    (call $write (i32.const 1) (i32.const 40) (i32.const 1))))
