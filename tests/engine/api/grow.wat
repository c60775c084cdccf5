;; grow.wat — memory.grow under the store's max_memory_bytes, for engine_api_test.
(module
  (memory (export "mem") 1)
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  (func (export "size") (result i32) (memory.size))
  (func (export "store_at") (param i32 i32) (i32.store (local.get 0) (local.get 1))))
