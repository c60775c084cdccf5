;; Imports fd_write with the wrong signature: "incompatible import type" (exit 126).
(module
  (import "wasi_snapshot_preview1" "fd_write" (func (param i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "_start")))
