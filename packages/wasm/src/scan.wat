;; The code section's fast path, scanBody (code.ts), written in WebAssembly: the same one pass over a function body,
;; the same opcode classes (the tables are code.ts's own, written into the memory by code-wasm.ts), the same
;; acceptance rule: it accepts only what it can prove well-formed with the common encodings, and gives anything else
;; back (-1) to the exact decoder. What it accepts, it counts exactly as scanBody and the exact decoder do.
;;
;; It reads the module where it lies: the bytes are in this memory (code-wasm.ts `moduleBuffer`), so nothing is copied.
;; Layout (code-wasm.ts): the tables at 0, the counters at COUNTS, the module's bytes from BASE, then SLACK bytes, so
;; the reads an instruction makes past a body's end (at most 15 bytes) stay inside the memory. Any read past a body's
;; end moves the position past it, so that body is given back: such reads never decide an acceptance.
;;
;; Built by `npx tsx packages/wasm/src/scan-build.ts` (wat2wasm from wabt) into scan-wasm.ts; a test checks the two
;; agree.
(module
  (import "scan" "memory" (memory 1))

  ;; Per module (setup): the type count, the number of memories, whether memory 0 is 64-bit, a data count section.
  (global $typeCount (mut i64) (i64.const 0))
  (global $memories (mut i32) (i32.const 0))
  (global $mem64 (mut i32) (i32.const 0))
  (global $hasDataCount (mut i32) (i32.const 0))
  ;; Per body: a position past its end (end + 1), returned by the skip functions for an encoding left to the exact
  ;; reader; and the position after the last integer read by $readU32.
  (global $bad (mut i32) (i32.const 0))
  (global $u32End (mut i32) (i32.const 0))
  ;; Progress of $scanCode: the bodies accepted so far and the position after the last one (set after each body, so
  ;; they hold even if the scan were to stop by a trap).
  (global $done (export "done") (mut i32) (i32.const 0))
  (global $stoppedAt (export "stoppedAt") (mut i32) (i32.const 0))

  ;; Table offsets (code-wasm.ts writes the tables there).
  ;; 0 OPCODE_CLASS (256), 256 SIMD_CLASS (0x114), 544 ATOMIC_CLASS (0x4f), 640 PLAIN_VALTYPE (256),
  ;; 896 SHORT_BLOCKTYPE (256), 1152 the counters (18 × i32).

  ;; Per module: what the bodies may use, and the counters zeroed.
  (func (export "setup") (param $typeCount i32) (param $memories i32) (param $mem64 i32) (param $hasDataCount i32)
    (global.set $typeCount (i64.extend_i32_u (local.get $typeCount)))
    (global.set $memories (local.get $memories))
    (global.set $mem64 (local.get $mem64))
    (global.set $hasDataCount (local.get $hasDataCount))
    (memory.fill (i32.const 1152) (i32.const 0) (i32.const 72)))

  ;; The rest of a u32 after a first byte with its continuation bit set (at most 5 bytes; the 5th below 0x10).
  (func $skipU32 (param $p i32) (result i32)
    (if (i32.eqz (i32.and (i32.load8_u (local.get $p)) (i32.const 0x80)))
      (then (return (i32.add (local.get $p) (i32.const 1)))))
    (if (i32.eqz (i32.and (i32.load8_u offset=1 (local.get $p)) (i32.const 0x80)))
      (then (return (i32.add (local.get $p) (i32.const 2)))))
    (if (i32.eqz (i32.and (i32.load8_u offset=2 (local.get $p)) (i32.const 0x80)))
      (then (return (i32.add (local.get $p) (i32.const 3)))))
    (if (result i32) (i32.eqz (i32.and (i32.load8_u offset=3 (local.get $p)) (i32.const 0xf0)))
      (then (i32.add (local.get $p) (i32.const 4)))
      (else (global.get $bad))))

  ;; The rest of an s32 (at most 5 bytes; the 5th's unused bits a sign extension).
  (func $skipS32 (param $p i32) (result i32)
    (local $top i32)
    (if (i32.eqz (i32.and (i32.load8_u (local.get $p)) (i32.const 0x80)))
      (then (return (i32.add (local.get $p) (i32.const 1)))))
    (if (i32.eqz (i32.and (i32.load8_u offset=1 (local.get $p)) (i32.const 0x80)))
      (then (return (i32.add (local.get $p) (i32.const 2)))))
    (if (i32.eqz (i32.and (i32.load8_u offset=2 (local.get $p)) (i32.const 0x80)))
      (then (return (i32.add (local.get $p) (i32.const 3)))))
    (local.set $top (i32.and (i32.load8_u offset=3 (local.get $p)) (i32.const 0xf8)))
    (if (result i32) (i32.or (i32.eqz (local.get $top)) (i32.eq (local.get $top) (i32.const 0x78)))
      (then (i32.add (local.get $p) (i32.const 4)))
      (else (global.get $bad))))

  ;; The rest of a u64 or an s64 (at most 10 bytes; the 10th 0 or 1 for a u64, 0x00 or 0x7f for an s64).
  (func $skip64 (param $p i32) (param $signed i32) (result i32)
    (local $i i32) (local $last i32)
    (local.set $i (i32.const 1))
    (loop $more
      (if (i32.eqz (i32.and (i32.load8_u (local.get $p)) (i32.const 0x80)))
        (then (return (i32.add (local.get $p) (i32.const 1)))))
      (local.set $p (i32.add (local.get $p) (i32.const 1)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $more (i32.lt_u (local.get $i) (i32.const 9))))
    (local.set $last (i32.load8_u (local.get $p)))
    (local.set $p (i32.add (local.get $p) (i32.const 1)))
    (if (result i32)
      (if (result i32) (local.get $signed)
        (then (i32.or (i32.eqz (local.get $last)) (i32.eq (local.get $last) (i32.const 0x7f))))
        (else (i32.eqz (i32.and (local.get $last) (i32.const 0xfe)))))
      (then (local.get $p))
      (else (global.get $bad))))

  ;; A memarg of memory 0 with a one-byte alignment below 64; $bad for anything else.
  (func $skipMemarg (param $p i32) (result i32)
    (if (i32.ge_u (i32.load8_u (local.get $p)) (i32.const 0x40)) (then (return (global.get $bad))))
    (if (i32.eqz (i32.and (i32.load8_u offset=1 (local.get $p)) (i32.const 0x80)))
      (then (return (i32.add (local.get $p) (i32.const 2)))))
    (if (result i32) (global.get $mem64)
      (then (call $skip64 (i32.add (local.get $p) (i32.const 2)) (i32.const 0)))
      (else (call $skipU32 (i32.add (local.get $p) (i32.const 2))))))

  ;; A block type that is a type index (s33 >= 0) below the type count; $bad for anything else.
  (func $skipTypeIndex (param $p i32) (result i32)
    (local $v i64) (local $shift i64) (local $b i32) (local $i i32)
    (loop $more
      (local.set $b (i32.load8_u (local.get $p)))
      (local.set $p (i32.add (local.get $p) (i32.const 1)))
      (local.set $v (i64.or (local.get $v)
        (i64.shl (i64.extend_i32_u (i32.and (local.get $b) (i32.const 0x7f))) (local.get $shift))))
      (if (i32.eqz (i32.and (local.get $b) (i32.const 0x80)))
        (then
          (return (select (global.get $bad) (local.get $p)
            (i32.or (i32.and (local.get $b) (i32.const 0x40)) (i64.ge_u (local.get $v) (global.get $typeCount)))))))
      (local.set $shift (i64.add (local.get $shift) (i64.const 7)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $more (i32.lt_u (local.get $i) (i32.const 4))))
    (local.set $b (i32.load8_u (local.get $p)))
    (local.set $v (i64.or (local.get $v)
      (i64.shl (i64.extend_i32_u (i32.and (local.get $b) (i32.const 0x7f))) (local.get $shift))))
    (select (global.get $bad) (i32.add (local.get $p) (i32.const 1))
      (i32.or (i32.and (local.get $b) (i32.const 0xf0)) (i64.ge_u (local.get $v) (global.get $typeCount)))))

  ;; A u32 whose value is needed (a local count, a br_table length) from its first byte: the value, with the
  ;; position after it in $u32End; -1 for an encoding left to the exact reader.
  (func $readU32 (param $p i32) (result i64)
    (local $v i64) (local $shift i64) (local $b i32) (local $i i32)
    (loop $more
      (local.set $b (i32.load8_u (local.get $p)))
      (local.set $p (i32.add (local.get $p) (i32.const 1)))
      (if (i32.and (i32.eq (local.get $i) (i32.const 4)) (i32.ne (i32.and (local.get $b) (i32.const 0xf0)) (i32.const 0)))
        (then (return (i64.const -1))))
      (local.set $v (i64.or (local.get $v)
        (i64.shl (i64.extend_i32_u (i32.and (local.get $b) (i32.const 0x7f))) (local.get $shift))))
      (if (i32.eqz (i32.and (local.get $b) (i32.const 0x80)))
        (then
          (global.set $u32End (local.get $p))
          (return (local.get $v))))
      (local.set $shift (i64.add (local.get $shift) (i64.const 7)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $more (i32.lt_u (local.get $i) (i32.const 5))))
    (i64.const -1))

  ;; Counts up to $n entries of the code section from $pos (each a u32 size, then the body), none past $end, while
  ;; each size reads as a u32 that fits and each body is accepted by $scan. Sets $done and $stoppedAt: the caller
  ;; goes on from there with the exact readers (a size they reject, or a body to decode exactly).
  (func (export "scanCode") (param $pos i32) (param $end i32) (param $n i32)
    (local $i i32) (local $size i64) (local $s i32) (local $e i32)
    (global.set $done (i32.const 0))
    (global.set $stoppedAt (local.get $pos))
    (block $stop
      (loop $entry
        (br_if $stop (i32.ge_u (local.get $i) (local.get $n)))
        (br_if $stop (i32.ge_u (local.get $pos) (local.get $end)))
        (local.set $size (i64.extend_i32_u (i32.load8_u (local.get $pos))))
        (if (i32.wrap_i64 (i64.and (local.get $size) (i64.const 0x80)))
          (then
            (local.set $size (call $readU32 (local.get $pos)))
            (br_if $stop (i64.lt_s (local.get $size) (i64.const 0)))
            (local.set $s (global.get $u32End)))
          (else (local.set $s (i32.add (local.get $pos) (i32.const 1)))))
        (br_if $stop (i32.gt_u (local.get $s) (local.get $end)))
        (br_if $stop (i64.gt_u (local.get $size) (i64.extend_i32_u (i32.sub (local.get $end) (local.get $s)))))
        (local.set $e (i32.add (local.get $s) (i32.wrap_i64 (local.get $size))))
        (br_if $stop (i32.ne (call $scan (local.get $s) (local.get $e)) (local.get $e)))
        (local.set $pos (local.get $e))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (global.set $done (local.get $i))
        (global.set $stoppedAt (local.get $pos))
        (br $entry))))

  ;; Counts one function body, [start, end) (its local declarations, then its expression up to and including the
  ;; final `end`), into the counters, which are written only when the whole body is accepted.
  ;; Returns `end` when it was counted, -1 when it must go to the exact decoder.
  (func $scan (export "scan") (param $start i32) (param $end i32) (result i32)
    (local $pos i32) (local $op i32) (local $k i32) (local $b i32) (local $sub i32) (local $n64 i64)
    (local $n i32) (local $i i32) (local $locals i64) (local $g i32)
    (local $depth i32) (local $typed i32) (local $total i32) (local $simd i32) (local $relaxedSimd i32)
    (local $bulkMemory i32) (local $satConv i32) (local $signExt i32) (local $referenceTypes i32)
    (local $tailCall i32) (local $exceptionsLegacy i32) (local $exceptions i32) (local $gc i32)
    (local $load i32) (local $store i32) (local $rmw i32) (local $cmpxchg i32) (local $waitNotify i32)
    (local $fence i32)
    (global.set $bad (i32.add (local.get $end) (i32.const 1)))
    (local.set $pos (local.get $start))
    (block $reject
      ;; Local declarations: vec(locals), each a u32 count and a value type.
      (local.set $n64 (i64.extend_i32_u (i32.load8_u (local.get $pos))))
      (local.set $pos (i32.add (local.get $pos) (i32.const 1)))
      (if (i32.wrap_i64 (i64.and (local.get $n64) (i64.const 0x80)))
        (then
          (local.set $n64 (call $readU32 (i32.sub (local.get $pos) (i32.const 1))))
          (br_if $reject (i64.lt_s (local.get $n64) (i64.const 0)))
          (local.set $pos (global.get $u32End))))
      (br_if $reject (i32.gt_u (local.get $pos) (local.get $end)))
      (br_if $reject (i64.gt_u (local.get $n64) (i64.extend_i32_u (i32.sub (local.get $end) (local.get $pos)))))
      (local.set $n (i32.wrap_i64 (local.get $n64)))
      (local.set $g (i32.const 0))
      (block $localsDone
        (loop $group
          (br_if $localsDone (i32.ge_u (local.get $g) (local.get $n)))
          (local.set $n64 (i64.extend_i32_u (i32.load8_u (local.get $pos))))
          (local.set $pos (i32.add (local.get $pos) (i32.const 1)))
          (if (i32.wrap_i64 (i64.and (local.get $n64) (i64.const 0x80)))
            (then
              (local.set $n64 (call $readU32 (i32.sub (local.get $pos) (i32.const 1))))
              (br_if $reject (i64.lt_s (local.get $n64) (i64.const 0)))
              (local.set $pos (global.get $u32End))))
          (local.set $locals (i64.add (local.get $locals) (local.get $n64)))
          (br_if $reject (i64.gt_u (local.get $locals) (i64.const 0xffffffff)))
          (br_if $reject (i32.ne (i32.load8_u offset=640 (i32.load8_u (local.get $pos))) (i32.const 1)))
          (local.set $pos (i32.add (local.get $pos) (i32.const 1)))
          ;; Past the end the body is given back anyway (positions only grow); stopping here keeps reads in bounds.
          (br_if $reject (i32.gt_u (local.get $pos) (local.get $end)))
          (local.set $g (i32.add (local.get $g) (i32.const 1)))
          (br $group)))
      (br_if $reject (i32.gt_u (local.get $pos) (local.get $end)))

      (loop $next
        (br_if $reject (i32.ge_u (local.get $pos) (local.get $end)))
        (local.set $op (i32.load8_u (local.get $pos)))
        (local.set $pos (i32.add (local.get $pos) (i32.const 1)))
        (local.set $total (i32.add (local.get $total) (i32.const 1)))
        (local.set $k (i32.load8_u (local.get $op)))
        ;; The most frequent classes first, ahead of the table.
        (if (i32.eq (local.get $k) (i32.const 2)) ;; C_U32
          (then
            (local.set $b (i32.load8_u (local.get $pos)))
            (local.set $pos (i32.add (local.get $pos) (i32.const 1)))
            (if (i32.and (local.get $b) (i32.const 0x80))
              (then
                (local.set $pos
                  (if (result i32) (i32.and (i32.load8_u (local.get $pos)) (i32.const 0x80))
                    (then (call $skipU32 (local.get $pos)))
                    (else (i32.add (local.get $pos) (i32.const 1)))))))
            (br $next)))
        (br_if $next (i32.eq (local.get $k) (i32.const 1))) ;; C_NONE
        (if (i32.eq (local.get $k) (i32.const 6)) ;; C_I32
          (then
            (local.set $b (i32.load8_u (local.get $pos)))
            (local.set $pos (i32.add (local.get $pos) (i32.const 1)))
            (if (i32.and (local.get $b) (i32.const 0x80))
              (then
                (local.set $pos
                  (if (result i32) (i32.and (i32.load8_u (local.get $pos)) (i32.const 0x80))
                    (then (call $skipS32 (local.get $pos)))
                    (else (i32.add (local.get $pos) (i32.const 1)))))))
            (br $next)))
        (if (i32.eq (local.get $k) (i32.const 5)) ;; C_MEMARG
          (then
            (br_if $reject (i32.eqz (global.get $memories)))
            ;; $skipMemarg inline for a one-byte offset (an alignment of 64 or more: $skipMemarg's $bad, a rejection)
            (br_if $reject (i32.ge_u (i32.load8_u (local.get $pos)) (i32.const 0x40)))
            (local.set $pos
              (if (result i32) (i32.and (i32.load8_u offset=1 (local.get $pos)) (i32.const 0x80))
                (then (call $skipMemarg (local.get $pos)))
                (else (i32.add (local.get $pos) (i32.const 2)))))
            (br $next)))
        (block $c31 (block $c30 (block $c29 (block $c28 (block $c27 (block $c26 (block $c25 (block $c24
        (block $c23 (block $c22 (block $c21 (block $c20 (block $c19 (block $c18 (block $c17 (block $c16
        (block $c15 (block $c14 (block $c13 (block $c12 (block $c11 (block $c10 (block $c9 (block $c8
        (block $c7 (block $c4 (block $c3
          (br_table $reject $reject $reject $c3 $c4 $reject $reject $c7 $c8 $c9 $c10 $c11 $c12 $c13 $c14 $c15
            $c16 $c17 $c18 $c19 $c20 $c21 $c22 $c23 $c24 $c25 $c26 $c27 $c28 $c29 $c30 $c31 $reject (local.get $k)))
          ;; C_BLOCK: block, loop, if
          (if (i32.eq (i32.load8_u offset=896 (i32.load8_u (local.get $pos))) (i32.const 1))
            (then (local.set $pos (i32.add (local.get $pos) (i32.const 1))))
            (else
              (local.set $pos (call $skipTypeIndex (local.get $pos)))
              (local.set $typed (i32.const 1))))
          (local.set $depth (i32.add (local.get $depth) (i32.const 1)))
          (br $next))
          ;; C_END
          (if (i32.eqz (local.get $depth))
            (then
              (br_if $reject (i32.ne (local.get $pos) (local.get $end)))
              (i32.store offset=1152 (i32.const 0) (i32.add (i32.load offset=1152 (i32.const 0)) (local.get $total)))
              (i32.store offset=1156 (i32.const 0) (i32.add (i32.load offset=1156 (i32.const 0)) (local.get $simd)))
              (i32.store offset=1160 (i32.const 0)
                (i32.add (i32.load offset=1160 (i32.const 0)) (local.get $relaxedSimd)))
              (i32.store offset=1164 (i32.const 0)
                (i32.add (i32.load offset=1164 (i32.const 0)) (local.get $bulkMemory)))
              (i32.store offset=1168 (i32.const 0) (i32.add (i32.load offset=1168 (i32.const 0)) (local.get $satConv)))
              (i32.store offset=1172 (i32.const 0) (i32.add (i32.load offset=1172 (i32.const 0)) (local.get $signExt)))
              (i32.store offset=1176 (i32.const 0)
                (i32.add (i32.load offset=1176 (i32.const 0)) (local.get $referenceTypes)))
              (i32.store offset=1180 (i32.const 0) (i32.add (i32.load offset=1180 (i32.const 0)) (local.get $tailCall)))
              (i32.store offset=1184 (i32.const 0)
                (i32.add (i32.load offset=1184 (i32.const 0)) (local.get $exceptionsLegacy)))
              (i32.store offset=1188 (i32.const 0)
                (i32.add (i32.load offset=1188 (i32.const 0)) (local.get $exceptions)))
              (i32.store offset=1192 (i32.const 0) (i32.add (i32.load offset=1192 (i32.const 0)) (local.get $gc)))
              (i32.store offset=1196 (i32.const 0) (i32.add (i32.load offset=1196 (i32.const 0)) (local.get $load)))
              (i32.store offset=1200 (i32.const 0) (i32.add (i32.load offset=1200 (i32.const 0)) (local.get $store)))
              (i32.store offset=1204 (i32.const 0) (i32.add (i32.load offset=1204 (i32.const 0)) (local.get $rmw)))
              (i32.store offset=1208 (i32.const 0) (i32.add (i32.load offset=1208 (i32.const 0)) (local.get $cmpxchg)))
              (i32.store offset=1212 (i32.const 0)
                (i32.add (i32.load offset=1212 (i32.const 0)) (local.get $waitNotify)))
              (i32.store offset=1216 (i32.const 0) (i32.add (i32.load offset=1216 (i32.const 0)) (local.get $fence)))
              (i32.store offset=1220 (i32.const 0) (i32.or (i32.load offset=1220 (i32.const 0)) (local.get $typed)))
              (return (local.get $pos))))
          (local.set $depth (i32.sub (local.get $depth) (i32.const 1)))
          (br $next))
          ;; C_I64
          (local.set $b (i32.load8_u (local.get $pos)))
          (local.set $pos (i32.add (local.get $pos) (i32.const 1)))
          (if (i32.and (local.get $b) (i32.const 0x80))
            (then (local.set $pos (call $skip64 (local.get $pos) (i32.const 1)))))
          (br $next))
          ;; C_F32
          (local.set $pos (i32.add (local.get $pos) (i32.const 4)))
          (br $next))
          ;; C_F64
          (local.set $pos (i32.add (local.get $pos) (i32.const 8)))
          (br $next))
          ;; C_BR_TABLE: vec(labelidx) labelidx
          (local.set $n64 (i64.extend_i32_u (i32.load8_u (local.get $pos))))
          (local.set $pos (i32.add (local.get $pos) (i32.const 1)))
          (if (i32.wrap_i64 (i64.and (local.get $n64) (i64.const 0x80)))
            (then
              (local.set $n64 (call $readU32 (i32.sub (local.get $pos) (i32.const 1))))
              (br_if $reject (i64.lt_s (local.get $n64) (i64.const 0)))
              (local.set $pos (global.get $u32End))))
          (br_if $reject (i32.gt_u (local.get $pos) (local.get $end)))
          (br_if $reject (i64.gt_u (local.get $n64) (i64.extend_i32_u (i32.sub (local.get $end) (local.get $pos)))))
          (local.set $n (i32.wrap_i64 (local.get $n64)))
          (local.set $i (i32.const 0))
          (block $labelsDone
            (loop $label
              (br_if $labelsDone (i32.gt_u (local.get $i) (local.get $n)))
              (br_if $labelsDone (i32.ge_u (local.get $pos) (local.get $end)))
              (local.set $b (i32.load8_u (local.get $pos)))
              (local.set $pos (i32.add (local.get $pos) (i32.const 1)))
              (if (i32.and (local.get $b) (i32.const 0x80))
                (then (local.set $pos (call $skipU32 (local.get $pos)))))
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br $label)))
          (br $next))
          ;; C_U32X2: call_indirect
          (local.set $b (i32.load8_u (local.get $pos)))
          (local.set $pos (i32.add (local.get $pos) (i32.const 1)))
          (if (i32.and (local.get $b) (i32.const 0x80)) (then (local.set $pos (call $skipU32 (local.get $pos)))))
          (local.set $b (i32.load8_u (local.get $pos)))
          (local.set $pos (i32.add (local.get $pos) (i32.const 1)))
          (if (i32.and (local.get $b) (i32.const 0x80)) (then (local.set $pos (call $skipU32 (local.get $pos)))))
          (br $next))
          ;; C_MEMIDX: memory.size, memory.grow
          (br_if $reject (i32.eqz (global.get $memories)))
          (br_if $reject (i32.ne (i32.load8_u (local.get $pos)) (i32.const 0)))
          (local.set $pos (i32.add (local.get $pos) (i32.const 1)))
          (br $next))
          ;; C_SIGN_EXT
          (local.set $signExt (i32.add (local.get $signExt) (i32.const 1)))
          (br $next))
          ;; C_FC
          (local.set $sub (i32.load8_u (local.get $pos)))
          (local.set $pos (i32.add (local.get $pos) (i32.const 1)))
          (if (i32.le_u (local.get $sub) (i32.const 7))
            (then
              (local.set $satConv (i32.add (local.get $satConv) (i32.const 1)))
              (br $next)))
          (if (i32.eq (local.get $sub) (i32.const 10)) ;; memory.copy dst src
            (then
              (br_if $reject (i32.eqz (global.get $memories)))
              (br_if $reject (i32.ne (i32.load8_u (local.get $pos)) (i32.const 0)))
              (br_if $reject (i32.ne (i32.load8_u offset=1 (local.get $pos)) (i32.const 0)))
              (local.set $pos (i32.add (local.get $pos) (i32.const 2)))
              (local.set $bulkMemory (i32.add (local.get $bulkMemory) (i32.const 1)))
              (br $next)))
          (if (i32.eq (local.get $sub) (i32.const 11)) ;; memory.fill
            (then
              (br_if $reject (i32.eqz (global.get $memories)))
              (br_if $reject (i32.ne (i32.load8_u (local.get $pos)) (i32.const 0)))
              (local.set $pos (i32.add (local.get $pos) (i32.const 1)))
              (local.set $bulkMemory (i32.add (local.get $bulkMemory) (i32.const 1)))
              (br $next)))
          (if (i32.eq (local.get $sub) (i32.const 8)) ;; memory.init dataidx memidx
            (then
              (br_if $reject (i32.eqz (global.get $hasDataCount)))
              (local.set $b (i32.load8_u (local.get $pos)))
              (local.set $pos (i32.add (local.get $pos) (i32.const 1)))
              (if (i32.and (local.get $b) (i32.const 0x80)) (then (local.set $pos (call $skipU32 (local.get $pos)))))
              (br_if $reject (i32.eqz (global.get $memories)))
              (br_if $reject (i32.ne (i32.load8_u (local.get $pos)) (i32.const 0)))
              (local.set $pos (i32.add (local.get $pos) (i32.const 1)))
              (local.set $bulkMemory (i32.add (local.get $bulkMemory) (i32.const 1)))
              (br $next)))
          (if (i32.eq (local.get $sub) (i32.const 9)) ;; data.drop
            (then
              (br_if $reject (i32.eqz (global.get $hasDataCount)))
              (local.set $b (i32.load8_u (local.get $pos)))
              (local.set $pos (i32.add (local.get $pos) (i32.const 1)))
              (if (i32.and (local.get $b) (i32.const 0x80)) (then (local.set $pos (call $skipU32 (local.get $pos)))))
              (local.set $bulkMemory (i32.add (local.get $bulkMemory) (i32.const 1)))
              (br $next)))
          (if (i32.or (i32.eq (local.get $sub) (i32.const 12)) (i32.eq (local.get $sub) (i32.const 14)))
            (then ;; table.init, table.copy
              (local.set $b (i32.load8_u (local.get $pos)))
              (local.set $pos (i32.add (local.get $pos) (i32.const 1)))
              (if (i32.and (local.get $b) (i32.const 0x80)) (then (local.set $pos (call $skipU32 (local.get $pos)))))
              (local.set $b (i32.load8_u (local.get $pos)))
              (local.set $pos (i32.add (local.get $pos) (i32.const 1)))
              (if (i32.and (local.get $b) (i32.const 0x80)) (then (local.set $pos (call $skipU32 (local.get $pos)))))
              (local.set $bulkMemory (i32.add (local.get $bulkMemory) (i32.const 1)))
              (br $next)))
          (if (i32.eq (local.get $sub) (i32.const 13)) ;; elem.drop
            (then
              (local.set $b (i32.load8_u (local.get $pos)))
              (local.set $pos (i32.add (local.get $pos) (i32.const 1)))
              (if (i32.and (local.get $b) (i32.const 0x80)) (then (local.set $pos (call $skipU32 (local.get $pos)))))
              (local.set $bulkMemory (i32.add (local.get $bulkMemory) (i32.const 1)))
              (br $next)))
          (if (i32.and (i32.ge_u (local.get $sub) (i32.const 15)) (i32.le_u (local.get $sub) (i32.const 17)))
            (then ;; table.grow, table.size, table.fill
              (local.set $b (i32.load8_u (local.get $pos)))
              (local.set $pos (i32.add (local.get $pos) (i32.const 1)))
              (if (i32.and (local.get $b) (i32.const 0x80)) (then (local.set $pos (call $skipU32 (local.get $pos)))))
              (local.set $referenceTypes (i32.add (local.get $referenceTypes) (i32.const 1)))
              (br $next)))
          (br $reject))
          ;; C_FD: SIMD, a u32 sub-opcode of at most 2 bytes
          (local.set $sub (i32.load8_u (local.get $pos)))
          (local.set $pos (i32.add (local.get $pos) (i32.const 1)))
          (if (i32.and (local.get $sub) (i32.const 0x80))
            (then
              (local.set $b (i32.load8_u (local.get $pos)))
              (local.set $pos (i32.add (local.get $pos) (i32.const 1)))
              (br_if $reject (i32.and (local.get $b) (i32.const 0x80)))
              (local.set $sub (i32.or (i32.and (local.get $sub) (i32.const 0x7f)) (i32.shl (local.get $b) (i32.const 7))))))
          (br_if $reject (i32.ge_u (local.get $sub) (i32.const 0x114)))
          (block $simd6 (block $simd4 (block $simd3 (block $simd2 (block $simd1 (block $simd0
            (br_table $simd0 $simd1 $simd2 $simd3 $simd4 $reject $simd6 $reject
              (i32.load8_u offset=256 (local.get $sub))))
            ;; 0: no immediate
            (br_if $reject (i32.ge_u (local.get $sub) (i32.const 0x100)))
            (local.set $simd (i32.add (local.get $simd) (i32.const 1)))
            (br $next))
            ;; 1: memarg
            (br_if $reject (i32.eqz (global.get $memories)))
            (br_if $reject (i32.ge_u (i32.load8_u (local.get $pos)) (i32.const 0x40)))
            (local.set $pos
              (if (result i32) (i32.and (i32.load8_u offset=1 (local.get $pos)) (i32.const 0x80))
                (then (call $skipMemarg (local.get $pos)))
                (else (i32.add (local.get $pos) (i32.const 2)))))
            (local.set $simd (i32.add (local.get $simd) (i32.const 1)))
            (br $next))
            ;; 2: 16 bytes (v128.const, i8x16.shuffle)
            (local.set $pos (i32.add (local.get $pos) (i32.const 16)))
            (local.set $simd (i32.add (local.get $simd) (i32.const 1)))
            (br $next))
            ;; 3: a lane index
            (local.set $pos (i32.add (local.get $pos) (i32.const 1)))
            (local.set $simd (i32.add (local.get $simd) (i32.const 1)))
            (br $next))
            ;; 4: memarg and lane
            (br_if $reject (i32.eqz (global.get $memories)))
            (local.set $pos (i32.add (call $skipMemarg (local.get $pos)) (i32.const 1)))
            (local.set $simd (i32.add (local.get $simd) (i32.const 1)))
            (br $next))
            ;; 6: relaxed SIMD
            (local.set $relaxedSimd (i32.add (local.get $relaxedSimd) (i32.const 1)))
            (br $next))
          ;; C_FE: atomics, a one-byte sub-opcode
          (local.set $sub (i32.load8_u (local.get $pos)))
          (local.set $pos (i32.add (local.get $pos) (i32.const 1)))
          (if (i32.eq (local.get $sub) (i32.const 0x03))
            (then
              (br_if $reject (i32.ne (i32.load8_u (local.get $pos)) (i32.const 0)))
              (local.set $pos (i32.add (local.get $pos) (i32.const 1)))
              (local.set $fence (i32.add (local.get $fence) (i32.const 1)))
              (br $next)))
          (br_if $reject (i32.ge_u (local.get $sub) (i32.const 0x4f)))
          (local.set $k (i32.load8_u offset=544 (local.get $sub)))
          (br_if $reject (i32.eqz (local.get $k)))
          (br_if $reject (i32.eqz (global.get $memories)))
          (br_if $reject (i32.ge_u (i32.load8_u (local.get $pos)) (i32.const 0x40)))
          (local.set $pos
            (if (result i32) (i32.and (i32.load8_u offset=1 (local.get $pos)) (i32.const 0x80))
              (then (call $skipMemarg (local.get $pos)))
              (else (i32.add (local.get $pos) (i32.const 2)))))
          (if (i32.eq (local.get $k) (i32.const 4))
            (then (local.set $rmw (i32.add (local.get $rmw) (i32.const 1))) (br $next)))
          (if (i32.eq (local.get $k) (i32.const 2))
            (then (local.set $load (i32.add (local.get $load) (i32.const 1))) (br $next)))
          (if (i32.eq (local.get $k) (i32.const 3))
            (then (local.set $store (i32.add (local.get $store) (i32.const 1))) (br $next)))
          (if (i32.eq (local.get $k) (i32.const 5))
            (then (local.set $cmpxchg (i32.add (local.get $cmpxchg) (i32.const 1))) (br $next)))
          (local.set $waitNotify (i32.add (local.get $waitNotify) (i32.const 1)))
          (br $next))
          ;; C_RETURN_CALL
          (local.set $b (i32.load8_u (local.get $pos)))
          (local.set $pos (i32.add (local.get $pos) (i32.const 1)))
          (if (i32.and (local.get $b) (i32.const 0x80)) (then (local.set $pos (call $skipU32 (local.get $pos)))))
          (local.set $tailCall (i32.add (local.get $tailCall) (i32.const 1)))
          (br $next))
          ;; C_RETURN_CALL_INDIRECT
          (local.set $b (i32.load8_u (local.get $pos)))
          (local.set $pos (i32.add (local.get $pos) (i32.const 1)))
          (if (i32.and (local.get $b) (i32.const 0x80)) (then (local.set $pos (call $skipU32 (local.get $pos)))))
          (local.set $b (i32.load8_u (local.get $pos)))
          (local.set $pos (i32.add (local.get $pos) (i32.const 1)))
          (if (i32.and (local.get $b) (i32.const 0x80)) (then (local.set $pos (call $skipU32 (local.get $pos)))))
          (local.set $tailCall (i32.add (local.get $tailCall) (i32.const 1)))
          (br $next))
          ;; C_CALL_REF
          (local.set $b (i32.load8_u (local.get $pos)))
          (local.set $pos (i32.add (local.get $pos) (i32.const 1)))
          (if (i32.and (local.get $b) (i32.const 0x80)) (then (local.set $pos (call $skipU32 (local.get $pos)))))
          (local.set $gc (i32.add (local.get $gc) (i32.const 1)))
          (br $next))
          ;; C_RETURN_CALL_REF
          (local.set $b (i32.load8_u (local.get $pos)))
          (local.set $pos (i32.add (local.get $pos) (i32.const 1)))
          (if (i32.and (local.get $b) (i32.const 0x80)) (then (local.set $pos (call $skipU32 (local.get $pos)))))
          (local.set $gc (i32.add (local.get $gc) (i32.const 1)))
          (local.set $tailCall (i32.add (local.get $tailCall) (i32.const 1)))
          (br $next))
          ;; C_REF_U32: table.get, table.set, ref.func
          (local.set $b (i32.load8_u (local.get $pos)))
          (local.set $pos (i32.add (local.get $pos) (i32.const 1)))
          (if (i32.and (local.get $b) (i32.const 0x80)) (then (local.set $pos (call $skipU32 (local.get $pos)))))
          (local.set $referenceTypes (i32.add (local.get $referenceTypes) (i32.const 1)))
          (br $next))
          ;; C_REF: ref.is_null
          (local.set $referenceTypes (i32.add (local.get $referenceTypes) (i32.const 1)))
          (br $next))
          ;; C_GC: ref.eq, ref.as_non_null
          (local.set $gc (i32.add (local.get $gc) (i32.const 1)))
          (br $next))
          ;; C_GC_U32: br_on_null, br_on_non_null
          (local.set $b (i32.load8_u (local.get $pos)))
          (local.set $pos (i32.add (local.get $pos) (i32.const 1)))
          (if (i32.and (local.get $b) (i32.const 0x80)) (then (local.set $pos (call $skipU32 (local.get $pos)))))
          (local.set $gc (i32.add (local.get $gc) (i32.const 1)))
          (br $next))
          ;; C_THROW
          (local.set $b (i32.load8_u (local.get $pos)))
          (local.set $pos (i32.add (local.get $pos) (i32.const 1)))
          (if (i32.and (local.get $b) (i32.const 0x80)) (then (local.set $pos (call $skipU32 (local.get $pos)))))
          (local.set $exceptions (i32.add (local.get $exceptions) (i32.const 1)))
          (br $next))
          ;; C_THROW_REF
          (local.set $exceptions (i32.add (local.get $exceptions) (i32.const 1)))
          (br $next))
          ;; C_LEGACY_U32: catch, rethrow
          (local.set $b (i32.load8_u (local.get $pos)))
          (local.set $pos (i32.add (local.get $pos) (i32.const 1)))
          (if (i32.and (local.get $b) (i32.const 0x80)) (then (local.set $pos (call $skipU32 (local.get $pos)))))
          (local.set $exceptionsLegacy (i32.add (local.get $exceptionsLegacy) (i32.const 1)))
          (br $next))
          ;; C_CATCH_ALL
          (local.set $exceptionsLegacy (i32.add (local.get $exceptionsLegacy) (i32.const 1)))
          (br $next))
          ;; C_TRY
          (if (i32.eq (i32.load8_u offset=896 (i32.load8_u (local.get $pos))) (i32.const 1))
            (then (local.set $pos (i32.add (local.get $pos) (i32.const 1))))
            (else
              (local.set $pos (call $skipTypeIndex (local.get $pos)))
              (local.set $typed (i32.const 1))))
          (local.set $depth (i32.add (local.get $depth) (i32.const 1)))
          (local.set $exceptionsLegacy (i32.add (local.get $exceptionsLegacy) (i32.const 1)))
          (br $next))
          ;; C_DELEGATE
          (br_if $reject (i32.eqz (local.get $depth)))
          (local.set $b (i32.load8_u (local.get $pos)))
          (local.set $pos (i32.add (local.get $pos) (i32.const 1)))
          (if (i32.and (local.get $b) (i32.const 0x80)) (then (local.set $pos (call $skipU32 (local.get $pos)))))
          (local.set $depth (i32.sub (local.get $depth) (i32.const 1)))
          (local.set $exceptionsLegacy (i32.add (local.get $exceptionsLegacy) (i32.const 1)))
          (br $next))
        ;; C_REF_NULL: of funcref, externref, exn or noexn (heap types that count no GC type)
        (local.set $b (i32.load8_u (local.get $pos)))
        (local.set $pos (i32.add (local.get $pos) (i32.const 1)))
        (br_if $reject (i32.eqz (i32.or (i32.or (i32.eq (local.get $b) (i32.const 0x70)) (i32.eq (local.get $b) (i32.const 0x6f)))
          (i32.or (i32.eq (local.get $b) (i32.const 0x69)) (i32.eq (local.get $b) (i32.const 0x74))))))
        (local.set $referenceTypes (i32.add (local.get $referenceTypes) (i32.const 1)))
        (br $next)))
    (i32.const -1)))
