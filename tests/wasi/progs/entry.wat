;; An export other than _start, called with --invoke/--entrypoint: its i32 result
;; becomes the exit status.
(module
  (memory (export "memory") 1)
  (func (export "_start") unreachable)
  (func (export "answer") (result i32) i32.const 42))
