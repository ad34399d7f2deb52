;; IAC doubling with 128-bit SIMD: the source of the module embedded in
;; iac-simd.ts (assembled with wabt's `wat2wasm`; the test
;; tests/protocol/options/iac-simd.test.ts re-assembles it and compares).
;;
;; escape(src, len, dst) -> bytes written at dst
;;   Copies len bytes from src to dst, writing every 0xFF twice. Sixteen
;;   bytes at a time: a block without 0xFF is stored whole; a block with one
;;   goes byte by byte. dst must have room for 2 * len + 1 bytes (the byte
;;   loop stores one byte ahead of what it keeps).
;;
;; unescape(src, len, dst) -> bytes written at dst; global `stopped` = bytes of src read
;;   The receiving side: copies data bytes from src to dst, an escaped
;;   0xFF 0xFF as one 0xFF, and stops at an 0xFF that starts a command (or
;;   is the last byte, its partner not yet received): `stopped` is then that
;;   0xFF's offset, else len. dst must have room for len bytes; it may be
;;   src itself or start before it (in place): no byte is written past the
;;   byte being read, and a whole block only once it is read.
(module
  (memory (export "memory") 4)
  (global $stopped (export "stopped") (mut i32) (i32.const 0))
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
    (local.get $j))
  (func (export "unescape") (param $src i32) (param $len i32) (param $dst i32) (result i32)
    (local $i i32) (local $j i32) (local $v v128) (local $stop i32) (local $b i32)
    (block $done
      (loop $blocks
        (if (i32.gt_u (i32.add (local.get $i) (i32.const 16)) (local.get $len))
          (then (local.set $stop (local.get $len)))
          (else
            (local.set $v (v128.load (i32.add (local.get $src) (local.get $i))))
            (if (i32.eqz (v128.any_true (i8x16.eq (local.get $v) (i8x16.splat (i32.const 255)))))
              (then
                ;; Stored only here: the byte loop below reads the block
                ;; from src, which dst may overlap (in place).
                (v128.store (i32.add (local.get $dst) (local.get $j)) (local.get $v))
                (local.set $i (i32.add (local.get $i) (i32.const 16)))
                (local.set $j (i32.add (local.get $j) (i32.const 16)))
                (br $blocks)))
            (local.set $stop (i32.add (local.get $i) (i32.const 16)))))
        ;; Byte by byte up to stop.
        (block $bytes_done
          (loop $bytes
            (br_if $bytes_done (i32.ge_u (local.get $i) (local.get $stop)))
            (local.set $b (i32.load8_u (i32.add (local.get $src) (local.get $i))))
            (if (i32.ne (local.get $b) (i32.const 255))
              (then
                (i32.store8 (i32.add (local.get $dst) (local.get $j)) (local.get $b))
                (local.set $i (i32.add (local.get $i) (i32.const 1)))
                (local.set $j (i32.add (local.get $j) (i32.const 1)))
                (br $bytes)))
            ;; IAC: a doubled one is one data byte; anything else ends the data.
            (br_if $done (i32.ge_u (i32.add (local.get $i) (i32.const 1)) (local.get $len)))
            (br_if $done (i32.ne (i32.load8_u offset=1 (i32.add (local.get $src) (local.get $i))) (i32.const 255)))
            (i32.store8 (i32.add (local.get $dst) (local.get $j)) (i32.const 255))
            (local.set $i (i32.add (local.get $i) (i32.const 2)))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $bytes)))
        (br_if $blocks (i32.lt_u (local.get $i) (local.get $len)))))
    (global.set $stopped (local.get $i))
    (local.get $j)))
