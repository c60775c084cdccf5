;; basic.wat — the embedding round trip of engine_api_test: two host imports of the
;; uniform signature, one exported memory, exports that call the imports and
;; read/write memory the host also touches through wb_memory_ptr.
(module
  (import "env" "add" (func $add (param i32 i32) (result i32)))
  (import "env" "scale" (func $scale (param i64 f64) (result f64)))
  (memory (export "mem") 1 2)
  (data (i32.const 16) "wasmbox")
  (func $add_twice (export "add_twice") (param $a i32) (param $b i32) (result i32)
    (call $add (call $add (local.get $a) (local.get $b)) (local.get $b)))
  (func $call_scale (export "call_scale") (param i64 f64) (result f64)
    (call $scale (local.get 0) (local.get 1)))
  ;; sum of the n bytes at ptr
  (func $sum_bytes (export "sum_bytes") (param $ptr i32) (param $n i32) (result i32)
    (local $acc i32)
    (block $done
      (loop $next
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $acc (i32.add (local.get $acc) (i32.load8_u (local.get $ptr))))
        (local.set $ptr (i32.add (local.get $ptr) (i32.const 1)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $next)))
    (local.get $acc))
  (func $poke (export "poke") (param $ptr i32) (param $v i32)
    (i32.store (local.get $ptr) (local.get $v))))
