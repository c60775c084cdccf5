;; threads.wat — per-thread workload of engine_api_test: fill n words of memory with
;; seed*i+1, sum them back; and an out-of-bounds load to trap in between.
(module
  (memory (export "mem") 1 1)
  (func $work (export "work") (param $seed i32) (param $n i32) (result i32)
    (local $i i32) (local $acc i32)
    (block $filled
      (loop $fill
        (br_if $filled (i32.ge_u (local.get $i) (local.get $n)))
        (i32.store (i32.shl (local.get $i) (i32.const 2))
                   (i32.add (i32.mul (local.get $seed) (local.get $i)) (i32.const 1)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $fill)))
    (local.set $i (i32.const 0))
    (block $summed
      (loop $sum
        (br_if $summed (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $acc (i32.add (local.get $acc)
                                 (i32.load (i32.shl (local.get $i) (i32.const 2)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $sum)))
    (local.get $acc))
  (func $oob (export "oob") (param $a i32) (result i32)
    (i32.load offset=65536 (local.get $a))))
