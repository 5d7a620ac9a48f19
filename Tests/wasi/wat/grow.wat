;; Grows its memory, then writes from the new page: the host must see the new size. Writing
;; from the page after it must still be EFAULT (21); the program exits with that errno.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  (func (export "_start")
    (drop (memory.grow (i32.const 1)))
    ;; "grown\n" at 65536, the iovec {65536, 6} at 65600, nwritten at 65608
    (i32.store (i32.const 65536) (i32.const 0x776f7267))
    (i32.store16 (i32.const 65540) (i32.const 0x0a6e))
    (i32.store (i32.const 65600) (i32.const 65536))
    (i32.store (i32.const 65604) (i32.const 6))
    (drop (call $fd_write (i32.const 1) (i32.const 65600) (i32.const 1) (i32.const 65608)))
    ;; the iovec {131072, 1}: past the grown memory
    (i32.store (i32.const 65600) (i32.const 131072))
    (i32.store (i32.const 65604) (i32.const 1))
    (call $proc_exit (call $fd_write (i32.const 1) (i32.const 65600) (i32.const 1) (i32.const 65608)))))
