;; An exception leaves _start: `wasmc run` must print one line naming the tag ("my_error", its
;; export name) and exit 134. Wasmtime (run_wasmtime.py): `uncaught exception: tag my_error (42)`.
(module
  (tag $my_error (export "my_error") (param i32))
  (func (export "_start")
    i32.const 42
    throw $my_error))
