;; A WASI function preview1 does not have: a link error naming it.
(module
  (import "wasi_snapshot_preview1" "fd_frobnicate" (func (param i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "_start")))
