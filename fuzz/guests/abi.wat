;; Fuzz guest for the wasm ABI boundary: a valid Morph module whose
;; `morph_execute` runs a program from the call's input, so every pointer
;; and length it hands the host (`call`, `response`, `panic`, the packed
;; result) is chosen by the fuzzer. The program is the hex text after the
;; first `#` of the input JSON; it is decoded to 0x10000 and run:
;;
;;   op % 9  args (little-endian i32s)        does
;;   0       cap_ptr cap_len req_ptr req_len  call, keeps the returned length
;;   1       ptr len                          response
;;   2       ptr                              response with the kept length
;;   3       ptr len                          panic, then trap
;;   4       ptr len                          return (ptr << 32 | len)
;;   5       ptr n:u8 bytes[n]                copy n program bytes to ptr
;;   6       pages:u8                         memory.grow
;;   7       which:u8                         call a known capability (data below)
;;   8       which:u8                         return a fixed envelope (ok, ok with data, error)
;;
;; A program that runs out returns `{"ok":null}`.
(module
  (import "morph" "call" (func $call (param i32 i32 i32 i32) (result i32)))
  (import "morph" "response" (func $response (param i32 i32) (result i32)))
  (import "morph" "panic" (func $panic (param i32 i32)))
  (memory (export "memory") 2)
  (global $kept (mut i32) (i32.const 0))
  (data (i32.const 256) "log")
  (data (i32.const 272) "{\"message\":\"hi\"}")
  (data (i32.const 320) "vault.get")
  (data (i32.const 336) "{\"key\":\"k\"}")
  (data (i32.const 384) "fs.read")
  (data (i32.const 400) "{\"path\":\"../x\"}")
  (data (i32.const 448) "http.fetch")
  (data (i32.const 464) "{\"url\":\"http://127.0.0.1:9/\"}")
  (data (i32.const 512) "{\"ok\":null}")
  (data (i32.const 528) "{\"ok\":{\"a\":[1,2.5,\"\\u0000\"]}}")
  (data (i32.const 576) "{\"error\":{\"code\":\"permission_denied\",\"message\":\"m\"}}")

  (func (export "morph_abi_version") (result i32) (i32.const 1))
  ;; Inputs land at 0x18000 (up to 32 KiB); larger ones fail to allocate.
  (func (export "morph_alloc") (param $n i32) (result i32)
    (if (result i32) (i32.gt_u (local.get $n) (i32.const 0x8000))
      (then (i32.const 0))
      (else (i32.const 0x18000))))
  (func (export "morph_free") (param i32 i32))

  ;; The value of hex digit $c, or -1.
  (func $hex (param $c i32) (result i32)
    (if (i32.and (i32.ge_u (local.get $c) (i32.const 48)) (i32.le_u (local.get $c) (i32.const 57)))
      (then (return (i32.sub (local.get $c) (i32.const 48)))))
    (if (i32.and (i32.ge_u (local.get $c) (i32.const 97)) (i32.le_u (local.get $c) (i32.const 102)))
      (then (return (i32.sub (local.get $c) (i32.const 87)))))
    (i32.const -1))

  ;; Decodes the hex after the first `#` in [$p, $p+$n) to 0x10000; returns its length.
  (func $decode (param $p i32) (param $n i32) (result i32)
    (local $i i32) (local $end i32) (local $hi i32) (local $lo i32) (local $out i32)
    (local.set $end (i32.add (local.get $p) (local.get $n)))
    (local.set $i (local.get $p))
    (block $found
      (loop $scan
        (br_if $found (i32.ge_u (local.get $i) (local.get $end)))
        (if (i32.eq (i32.load8_u (local.get $i)) (i32.const 35))
          (then (local.set $i (i32.add (local.get $i) (i32.const 1))) (br $found)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $scan)))
    (local.set $out (i32.const 0x10000))
    (block $done
      (loop $pairs
        (br_if $done (i32.ge_u (i32.add (local.get $i) (i32.const 1)) (local.get $end)))
        (br_if $done (i32.ge_u (local.get $out) (i32.const 0x18000)))
        (local.set $hi (call $hex (i32.load8_u (local.get $i))))
        (local.set $lo (call $hex (i32.load8_u (i32.add (local.get $i) (i32.const 1)))))
        (br_if $done (i32.or (i32.lt_s (local.get $hi) (i32.const 0)) (i32.lt_s (local.get $lo) (i32.const 0))))
        (i32.store8 (local.get $out) (i32.or (i32.shl (local.get $hi) (i32.const 4)) (local.get $lo)))
        (local.set $out (i32.add (local.get $out) (i32.const 1)))
        (local.set $i (i32.add (local.get $i) (i32.const 2)))
        (br $pairs)))
    (i32.sub (local.get $out) (i32.const 0x10000)))

  (func $arg (param $pc i32) (param $k i32) (result i32)
    (i32.load (i32.add (i32.add (local.get $pc) (i32.const 1)) (i32.shl (local.get $k) (i32.const 2)))))

  (func $pack (param $ptr i32) (param $len i32) (result i64)
    (i64.or (i64.shl (i64.extend_i32_u (local.get $ptr)) (i64.const 32)) (i64.extend_i32_u (local.get $len))))

  (func (export "morph_execute") (param $p i32) (param $n i32) (result i64)
    (local $pc i32) (local $end i32) (local $op i32) (local $which i32) (local $k i32)
    (local.set $end (i32.add (i32.const 0x10000) (call $decode (local.get $p) (local.get $n))))
    (local.set $pc (i32.const 0x10000))
    (block $out
      (loop $run
        (br_if $out (i32.ge_u (local.get $pc) (local.get $end)))
        (local.set $op (i32.rem_u (i32.load8_u (local.get $pc)) (i32.const 9)))
        (block $next
          (if (i32.eq (local.get $op) (i32.const 0))
            (then
              (global.set $kept (call $call (call $arg (local.get $pc) (i32.const 0)) (call $arg (local.get $pc) (i32.const 1))
                                            (call $arg (local.get $pc) (i32.const 2)) (call $arg (local.get $pc) (i32.const 3))))
              (local.set $pc (i32.add (local.get $pc) (i32.const 17))) (br $next)))
          (if (i32.eq (local.get $op) (i32.const 1))
            (then
              (drop (call $response (call $arg (local.get $pc) (i32.const 0)) (call $arg (local.get $pc) (i32.const 1))))
              (local.set $pc (i32.add (local.get $pc) (i32.const 9))) (br $next)))
          (if (i32.eq (local.get $op) (i32.const 2))
            (then
              (drop (call $response (call $arg (local.get $pc) (i32.const 0)) (global.get $kept)))
              (local.set $pc (i32.add (local.get $pc) (i32.const 5))) (br $next)))
          (if (i32.eq (local.get $op) (i32.const 3))
            (then
              (call $panic (call $arg (local.get $pc) (i32.const 0)) (call $arg (local.get $pc) (i32.const 1)))
              (unreachable)))
          (if (i32.eq (local.get $op) (i32.const 4))
            (then
              (return (call $pack (call $arg (local.get $pc) (i32.const 0)) (call $arg (local.get $pc) (i32.const 1))))))
          (if (i32.eq (local.get $op) (i32.const 5))
            (then
              (local.set $k (i32.load8_u (i32.add (local.get $pc) (i32.const 5))))
              (memory.copy (i32.and (call $arg (local.get $pc) (i32.const 0)) (i32.const 0xffff))
                           (i32.add (local.get $pc) (i32.const 6)) (local.get $k))
              (local.set $pc (i32.add (i32.add (local.get $pc) (i32.const 6)) (local.get $k))) (br $next)))
          (if (i32.eq (local.get $op) (i32.const 6))
            (then
              (drop (memory.grow (i32.load8_u (i32.add (local.get $pc) (i32.const 1)))))
              (local.set $pc (i32.add (local.get $pc) (i32.const 2))) (br $next)))
          (if (i32.eq (local.get $op) (i32.const 7))
            (then
              (local.set $which (i32.rem_u (i32.load8_u (i32.add (local.get $pc) (i32.const 1))) (i32.const 4)))
              (global.set $kept
                (if (result i32) (i32.eq (local.get $which) (i32.const 0))
                  (then (call $call (i32.const 256) (i32.const 3) (i32.const 272) (i32.const 16)))
                  (else (if (result i32) (i32.eq (local.get $which) (i32.const 1))
                    (then (call $call (i32.const 320) (i32.const 9) (i32.const 336) (i32.const 11)))
                    (else (if (result i32) (i32.eq (local.get $which) (i32.const 2))
                      (then (call $call (i32.const 384) (i32.const 7) (i32.const 400) (i32.const 15)))
                      (else (call $call (i32.const 448) (i32.const 10) (i32.const 464) (i32.const 29)))))))))
              (local.set $pc (i32.add (local.get $pc) (i32.const 2))) (br $next)))
          ;; 8: a fixed result envelope, chosen by a byte.
          (local.set $which (i32.rem_u (i32.load8_u (i32.add (local.get $pc) (i32.const 1))) (i32.const 3)))
          (if (i32.eq (local.get $which) (i32.const 0)) (then (return (call $pack (i32.const 512) (i32.const 11)))))
          (if (i32.eq (local.get $which) (i32.const 1)) (then (return (call $pack (i32.const 528) (i32.const 29)))))
          (return (call $pack (i32.const 576) (i32.const 52))))
        (br $run)))
    (call $pack (i32.const 512) (i32.const 11)))
)
