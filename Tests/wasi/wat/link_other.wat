;; An import from another module: wasmc-run offers only WASI.
(module
  (import "env" "callback" (func))
  (memory (export "memory") 1)
  (func (export "_start")))
