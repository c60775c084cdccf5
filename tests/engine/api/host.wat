;; host.wat — guest side of the host-function tests of engine_api_test.
;; sum(n) = n + sum(n-1) where the "+ sum(n-1)" half is done by the host, which
;; calls back into the exported sum: wasm -> host -> wasm -> host ... n deep.
(module
  (import "env" "sum_rest" (func $sum_rest (param i32) (result i32)))
  (import "env" "exit" (func $exit (param i32)))
  (import "env" "fail" (func $fail (param i32) (result i32)))
  (import "env" "peek" (func $peek (param i32) (result i32)))
  (memory (export "mem") 1)
  (data (i32.const 100) "\2a\00\00\00")
  (func $sum (export "sum") (param $n i32) (result i32)
    (if (result i32) (i32.eqz (local.get $n))
      (then (i32.const 0))
      (else (call $sum_rest (local.get $n)))))
  (func $do_exit (export "do_exit") (param i32) (result i32)
    (call $exit (local.get 0))
    unreachable)
  (func $do_fail (export "do_fail") (param i32) (result i32)
    (i32.add (call $fail (local.get 0)) (i32.const 1)))
  (func $do_peek (export "do_peek") (param i32) (result i32) (call $peek (local.get 0)))
  (func $div0 (export "div0") (param i32) (result i32) (i32.div_u (local.get 0) (i32.const 0)))
  (func (export "ok") (result i32) (i32.const 42)))
