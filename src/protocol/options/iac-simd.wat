;; IAC doubling with 128-bit SIMD: the source of the module embedded in
;; iac-simd.ts (assembled with wabt's `wat2wasm`; the test
;; tests/protocol/options/iac-simd.test.ts re-assembles it and compares).
;;
;; escape(src, len, dst) -> bytes written at dst
;;   Copies len bytes from src to dst, writing every 0xFF twice. Sixteen
;;   bytes at a time: a block without 0xFF is stored whole; a block with one
;;   goes byte by byte. dst must have room for 2 * len + 1 bytes (the byte
;;   loop stores one byte ahead of what it keeps).
(module
  (memory (export "memory") 4)
  (func (export "escape") (param $src i32) (param $len i32) (param $dst i32) (result i32)
    (local $i i32) (local $j i32) (local $v v128) (local $stop i32) (local $b i32)
    ;; Whole blocks.
    (block $blocks_done
      (loop $blocks
        (br_if $blocks_done (i32.gt_u (i32.add (local.get $i) (i32.const 16)) (local.get $len)))
        (local.set $v (v128.load (i32.add (local.get $src) (local.get $i))))
        (v128.store (i32.add (local.get $dst) (local.get $j)) (local.get $v))
        (if (v128.any_true (i8x16.eq (local.get $v) (i8x16.splat (i32.const 255))))
          (then
            (local.set $stop (i32.add (local.get $i) (i32.const 16)))
            (loop $bytes
              (local.set $b (i32.load8_u (i32.add (local.get $src) (local.get $i))))
              (i32.store8 (i32.add (local.get $dst) (local.get $j)) (local.get $b))
              (i32.store8 offset=1 (i32.add (local.get $dst) (local.get $j)) (local.get $b))
              (local.set $j (i32.add (local.get $j) (i32.add (i32.const 1) (i32.eq (local.get $b) (i32.const 255)))))
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br_if $bytes (i32.lt_u (local.get $i) (local.get $stop)))))
          (else
            (local.set $i (i32.add (local.get $i) (i32.const 16)))
            (local.set $j (i32.add (local.get $j) (i32.const 16)))))
        (br $blocks)))
    ;; The last len % 16 bytes.
    (block $tail_done
      (loop $tail
        (br_if $tail_done (i32.ge_u (local.get $i) (local.get $len)))
        (local.set $b (i32.load8_u (i32.add (local.get $src) (local.get $i))))
        (i32.store8 (i32.add (local.get $dst) (local.get $j)) (local.get $b))
        (i32.store8 offset=1 (i32.add (local.get $dst) (local.get $j)) (local.get $b))
        (local.set $j (i32.add (local.get $j) (i32.add (i32.const 1) (i32.eq (local.get $b) (i32.const 255)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $tail)))
    (local.get $j)))
