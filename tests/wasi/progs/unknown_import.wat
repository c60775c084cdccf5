;; Imports something WASI does not provide: wasmbox must refuse it by name (exit 126).
(module
  (import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32)))
  (import "env" "not_wasi" (func))
  (memory (export "memory") 1)
  (func (export "_start")))
