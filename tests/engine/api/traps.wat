;; traps.wat — one export per trap kind for engine_api_test. Each trap happens in
;; a named inner function ("<kind>_inner"), called from the export, so the test can
;; check that the trap names the function that was running, not the entry point.
(module
  (type $v_i (func (result i32)))
  (type $i_i (func (param i32) (result i32)))
  (memory (export "mem") 1 1)
  (table $t 2 funcref)
  (elem (i32.const 0) $forty_two)   ;; slot 1 stays null
  (func $forty_two (export "ok") (type $v_i) (i32.const 42))

  (func $unreachable_inner unreachable)
  (func (export "unreachable") (call $unreachable_inner))

  (func $load_oob_inner (param $a i32) (result i32) (i32.load (local.get $a)))
  (func (export "load_oob") (param i32) (result i32) (call $load_oob_inner (local.get 0)))

  (func $store_oob_inner (param $a i32) (i64.store (local.get $a) (i64.const -1)))
  (func (export "store_oob") (param i32) (call $store_oob_inner (local.get 0)))

  (func $table_oob_inner (param $i i32) (result i32)
    (ref.is_null (table.get $t (local.get $i))))
  (func (export "table_oob") (param i32) (result i32) (call $table_oob_inner (local.get 0)))

  ;; slot 0: ()->i32, slot 1: null, slot 2+: outside the table
  (func $call_indirect_inner (param $i i32) (result i32)
    (call_indirect $t (type $v_i) (local.get $i)))
  (func (export "call_indirect") (param i32) (result i32)
    (call $call_indirect_inner (local.get 0)))
  (func $mismatch_inner (result i32)
    (call_indirect $t (type $i_i) (i32.const 5) (i32.const 0)))
  (func (export "mismatch") (result i32) (call $mismatch_inner))

  (func $div_inner (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
  (func (export "div") (param i32 i32) (result i32)
    (call $div_inner (local.get 0) (local.get 1)))
  (func $rem_u64_inner (param i64 i64) (result i64) (i64.rem_u (local.get 0) (local.get 1)))
  (func (export "rem_u64") (param i64 i64) (result i64)
    (call $rem_u64_inner (local.get 0) (local.get 1)))

  (func $trunc_inner (param f64) (result i32) (i32.trunc_f64_s (local.get 0)))
  (func (export "trunc") (param f64) (result i32) (call $trunc_inner (local.get 0)))

  (func $recurse_inner (param $n i32) (result i32)
    (i32.add (call $recurse_inner (i32.add (local.get $n) (i32.const 1))) (i32.const 1)))
  (func (export "recurse") (result i32) (call $recurse_inner (i32.const 0))))
