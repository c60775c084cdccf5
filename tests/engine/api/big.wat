;; big.wat — a memory of 8 pages, above a 4-page max_memory_bytes cap.
(module (memory (export "mem") 8))
