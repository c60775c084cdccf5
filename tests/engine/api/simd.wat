;; simd.wat — a SIMD module, which the engine must reject with "SIMD not supported yet".
(module
  (func (export "splat") (param i32) (result v128) (i32x4.splat (local.get 0))))
