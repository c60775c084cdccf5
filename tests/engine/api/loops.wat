;; loops.wat — code that does not end by itself (for interruption and fuel) and a
;; bounded recursion (for the call-depth limit), for engine_api_test.
(module
  (func $spin (export "spin") (loop $l (br $l)))
  (func $count (export "count") (param $n i32) (result i32)
    (local $i i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (local.get $i))
  ;; depth(n) = n, by n nested calls, no loop anywhere
  (func $depth (export "depth") (param $n i32) (result i32)
    (if (result i32) (i32.eqz (local.get $n))
      (then (i32.const 0))
      (else (i32.add (call $depth (i32.sub (local.get $n) (i32.const 1))) (i32.const 1)))))
  (func (export "ok") (result i32) (i32.const 42)))
