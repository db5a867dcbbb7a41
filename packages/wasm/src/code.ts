// The code section's fast path: one pass over a function body with the position and every counter in locals,
// immediates skipped by opcode class, no allocation and no call per instruction. It accepts only what it can prove
// well-formed with the common encodings; anything else (an error, a rare instruction, a multi-memory index, a
// non-minimal encoding of a one-byte immediate) makes it give the whole body back to the exact decoder
// (`decodeExpr` and the local declarations' readers), which then produces the same counts or the same error as it
// always did. So the fast path changes speed only: what it accepts, it counts exactly as the exact decoder would.
// scan.wat is the same pass in WebAssembly, over the same tables (code-wasm.ts), for bytes in a module buffer: a change
// here is a change there (code.test.ts checks that both give the same verdict and counts on every body it tries).
import { decodeExpr, type ExprContext } from './instructions.ts';
import { ByteReader } from './reader.ts';
import { readValType } from './valtypes.ts';

/**
 * A position past the end of every body this path accepts (`scanBody` is only used on inputs shorter than this):
 * readers return it for an encoding they leave to the exact decoder, and the next bounds check sends the body there.
 */
export const FAST_PATH_LIMIT = 0x40000000;
const BAD = FAST_PATH_LIMIT;

// Opcode classes of the one-byte opcodes. 0: the exact decoder decides (illegal, or rare: typed select, try_table,
// the 0xFB GC prefix).
const C_NONE = 1; // no immediate (numeric instructions, unreachable, nop, else, return, drop, select)
const C_U32 = 2; // one u32: br, br_if, call, local.get/set/tee, global.get/set
const C_BLOCK = 3; // block, loop, if: a block type
const C_END = 4;
const C_MEMARG = 5; // loads and stores
const C_I32 = 6;
const C_I64 = 7;
const C_F32 = 8;
const C_F64 = 9;
const C_BR_TABLE = 10;
const C_U32X2 = 11; // call_indirect
const C_MEMIDX = 12; // memory.size, memory.grow
const C_SIGN_EXT = 13;
const C_FC = 14;
const C_FD = 15;
const C_FE = 16;
const C_RETURN_CALL = 17;
const C_RETURN_CALL_INDIRECT = 18;
const C_CALL_REF = 19;
const C_RETURN_CALL_REF = 20;
const C_REF_U32 = 21; // table.get, table.set, ref.func
const C_REF = 22; // ref.is_null
const C_GC = 23; // ref.eq, ref.as_non_null
const C_GC_U32 = 24; // br_on_null, br_on_non_null
const C_THROW = 25;
const C_THROW_REF = 26;
const C_LEGACY_U32 = 27; // catch, rethrow (legacy exception handling)
const C_CATCH_ALL = 28;
const C_TRY = 29;
const C_DELEGATE = 30;
const C_REF_NULL = 31;

/** The class of each one-byte opcode (the C_ constants above; 0: left to the exact decoder). */
export const OPCODE_CLASS = new Uint8Array(256);
{
  const set = (k: number, ...ops: number[]) => {
    for (const op of ops) OPCODE_CLASS[op] = k;
  };
  for (let op = 0x45; op <= 0xbf; op++) OPCODE_CLASS[op] = C_NONE;
  for (let op = 0x28; op <= 0x3e; op++) OPCODE_CLASS[op] = C_MEMARG;
  for (let op = 0xc0; op <= 0xc4; op++) OPCODE_CLASS[op] = C_SIGN_EXT;
  set(C_NONE, 0x00, 0x01, 0x05, 0x0f, 0x1a, 0x1b);
  set(C_U32, 0x0c, 0x0d, 0x10, 0x20, 0x21, 0x22, 0x23, 0x24);
  set(C_BLOCK, 0x02, 0x03, 0x04);
  set(C_END, 0x0b);
  set(C_I32, 0x41);
  set(C_I64, 0x42);
  set(C_F32, 0x43);
  set(C_F64, 0x44);
  set(C_BR_TABLE, 0x0e);
  set(C_U32X2, 0x11);
  set(C_MEMIDX, 0x3f, 0x40);
  set(C_FC, 0xfc);
  set(C_FD, 0xfd);
  set(C_FE, 0xfe);
  set(C_RETURN_CALL, 0x12);
  set(C_RETURN_CALL_INDIRECT, 0x13);
  set(C_CALL_REF, 0x14);
  set(C_RETURN_CALL_REF, 0x15);
  set(C_REF_U32, 0x25, 0x26, 0xd2);
  set(C_REF, 0xd1);
  set(C_GC, 0xd3, 0xd4);
  set(C_GC_U32, 0xd5, 0xd6);
  set(C_THROW, 0x08);
  set(C_THROW_REF, 0x0a);
  set(C_LEGACY_U32, 0x07, 0x09);
  set(C_CATCH_ALL, 0x19);
  set(C_TRY, 0x06);
  set(C_DELEGATE, 0x18);
  set(C_REF_NULL, 0xd0);
}

// One-byte value types a local or a block may have without counting a GC type: i32, i64, f32, f64, v128 and the
// pre-GC reference types funcref, externref, exnref, noexn (valtypes.ts: NUM_VEC, PRE_GC_HEAP).
export const PLAIN_VALTYPE = new Uint8Array(256);
for (const b of [0x7f, 0x7e, 0x7d, 0x7c, 0x7b, 0x70, 0x6f, 0x69, 0x74]) PLAIN_VALTYPE[b] = 1;
// Block types of one byte: the empty type 0x40 and the plain value types.
export const SHORT_BLOCKTYPE = PLAIN_VALTYPE.slice();
SHORT_BLOCKTYPE[0x40] = 1;

// SIMD (0xFD) sub-opcodes 0x00–0x113 by immediate: 0 none, 1 memarg, 2 16 bytes (v128.const, i8x16.shuffle),
// 3 a lane index, 4 memarg and lane, 5 unassigned (the exact decoder rejects it), 6 relaxed SIMD (no immediate).
export const SIMD_CLASS = simdClasses();
function simdClasses(): Uint8Array {
  const t = new Uint8Array(0x114);
  for (let s = 0; s <= 0x0b; s++) t[s] = 1;
  t[0x5c] = 1;
  t[0x5d] = 1;
  t[0x0c] = 2;
  t[0x0d] = 2;
  for (let s = 0x15; s <= 0x22; s++) t[s] = 3;
  for (let s = 0x54; s <= 0x5b; s++) t[s] = 4;
  for (const s of [
    0x9a, 0xa2, 0xa5, 0xa6, 0xaf, 0xb0, 0xb2, 0xb3, 0xb4, 0xbb, 0xc2, 0xc5, 0xc6, 0xcf, 0xd0, 0xd2, 0xd3, 0xd4, 0xe2,
    0xee,
  ])
    t[s] = 5;
  for (let s = 0x100; s <= 0x113; s++) t[s] = 6;
  return t;
}

// Atomic (0xFE) sub-opcodes 0x00–0x4e by kind: 0 illegal (or atomic.fence, handled apart), 1 wait/notify, 2 load,
// 3 store, 4 read-modify-write, 5 cmpxchg.
export const ATOMIC_CLASS = atomicClasses();
function atomicClasses(): Uint8Array {
  const t = new Uint8Array(0x4f);
  for (let s = 0x00; s <= 0x02; s++) t[s] = 1;
  for (let s = 0x10; s <= 0x16; s++) t[s] = 2;
  for (let s = 0x17; s <= 0x1d; s++) t[s] = 3;
  for (let s = 0x1e; s <= 0x47; s++) t[s] = 4;
  for (let s = 0x48; s <= 0x4e; s++) t[s] = 5;
  return t;
}

// The skip readers below are entered after the first byte of a LEB128 had its continuation bit set; `pos` is just
// past that byte. They return the position after the integer, or BAD for an encoding the exact reader rejects
// (too long, or unused bits set). A read past the array yields undefined, which ends the integer: the position
// then lies past the body's end and the caller's next bounds check gives the body to the exact decoder.

/** The rest of a u32 (at most 5 bytes; the 5th below 0x10). */
function skipU32(bytes: Uint8Array, pos: number): number {
  if ((bytes[pos++] & 0x80) === 0) return pos;
  if ((bytes[pos++] & 0x80) === 0) return pos;
  if ((bytes[pos++] & 0x80) === 0) return pos;
  return (bytes[pos++] & 0xf0) === 0 ? pos : BAD;
}

/** The rest of an s32 (at most 5 bytes; the 5th's unused bits a sign extension). */
function skipS32(bytes: Uint8Array, pos: number): number {
  if ((bytes[pos++] & 0x80) === 0) return pos;
  if ((bytes[pos++] & 0x80) === 0) return pos;
  if ((bytes[pos++] & 0x80) === 0) return pos;
  const top = bytes[pos++] & 0xf8;
  return top === 0 || top === 0x78 ? pos : BAD;
}

/** The rest of a u64 (at most 10 bytes; the 10th 0 or 1). */
function skipU64(bytes: Uint8Array, pos: number): number {
  for (let i = 1; i < 9; i++) if ((bytes[pos++] & 0x80) === 0) return pos;
  return (bytes[pos++] & 0xfe) === 0 ? pos : BAD;
}

/** The rest of an s64 (at most 10 bytes; the 10th 0x00 or 0x7f). */
function skipS64(bytes: Uint8Array, pos: number): number {
  for (let i = 1; i < 9; i++) if ((bytes[pos++] & 0x80) === 0) return pos;
  const last = bytes[pos++];
  return last === 0 || last === 0x7f ? pos : BAD;
}

/** A memarg of memory 0 with a one-byte alignment below 64; BAD for anything else (multi-memory, long encodings). */
function skipMemarg(bytes: Uint8Array, pos: number, memory64: boolean): number {
  if (!(bytes[pos++] < 0x40)) return BAD;
  if ((bytes[pos++] & 0x80) === 0) return pos;
  return memory64 ? skipU64(bytes, pos) : skipU32(bytes, pos);
}

/** A block type that is a type index (s33 >= 0) below `typeCount`, from `pos`; BAD for anything else. */
function skipTypeIndex(bytes: Uint8Array, pos: number, typeCount: number): number {
  let v = 0;
  let scale = 1;
  for (let i = 0; i < 4; i++) {
    const b = bytes[pos++];
    v += (b & 0x7f) * scale;
    if ((b & 0x80) === 0) return b === undefined || b & 0x40 || v >= typeCount ? BAD : pos;
    scale *= 128;
  }
  const b = bytes[pos++];
  v += (b & 0x7f) * scale;
  return b === undefined || b & 0xf0 || v >= typeCount ? BAD : pos;
}

// A u32 the fast path needs the value of (local counts, br_table length), read by `readU32`: the value, with the
// position after it in `u32End`; -1 for an encoding left to the exact reader.
let u32End = 0;
function readU32(bytes: Uint8Array, pos: number): number {
  let v = 0;
  let scale = 1;
  for (let i = 0; i < 5; i++) {
    const b = bytes[pos++];
    if (b === undefined || (i === 4 && b & 0xf0)) return -1;
    v += (b & 0x7f) * scale;
    if ((b & 0x80) === 0) {
      u32End = pos;
      return v;
    }
    scale *= 128;
  }
  return -1;
}

const MAX_LOCALS = 2 ** 32 - 1;

/**
 * Counts the instructions of one function body, `bytes[start, end)` (its local declarations, then its expression
 * up to and including the final `end`), into `ctx.counts`, and sets `ctx.typedBlocks` when a block names a type.
 * Nothing is written unless the whole body is accepted.
 *
 * @param end the body's end (start + its declared size); must be below FAST_PATH_LIMIT
 * @returns `end` when the body was counted; -1 when it must be decoded by the exact decoder instead (it is
 *   malformed, or uses an instruction or an encoding this path leaves to it). Never throws.
 * Source: Core Spec 2.0 §5.4 (instructions), §5.5.13 (code section), and the proposals' encodings as in
 *   instructions.ts, which this mirrors.
 */
export function scanBody(bytes: Uint8Array, start: number, end: number, ctx: ExprContext): number {
  let pos = start;
  // Local declarations: vec(locals), each a u32 count and a value type.
  let groups = bytes[pos++];
  if (groups & 0x80) {
    groups = readU32(bytes, pos - 1);
    if (groups < 0) return -1;
    pos = u32End;
  }
  if (!(groups <= end - pos)) return -1;
  let locals = 0;
  for (let g = 0; g < groups; g++) {
    let n = bytes[pos++];
    if (n & 0x80) {
      n = readU32(bytes, pos - 1);
      if (n < 0) return -1;
      pos = u32End;
    }
    locals += n;
    if (locals > MAX_LOCALS || PLAIN_VALTYPE[bytes[pos++]] !== 1) return -1;
  }
  if (pos > end) return -1;

  const typeCount = ctx.typeCount;
  const memories = ctx.memory64.length;
  const memory64 = memories > 0 && ctx.memory64[0];
  const hasDataCount = ctx.hasDataCount;
  let depth = 0;
  let typed = false;
  let total = 0;
  let simd = 0;
  let relaxedSimd = 0;
  let bulkMemory = 0;
  let satConv = 0;
  let signExt = 0;
  let referenceTypes = 0;
  let tailCall = 0;
  let exceptionsLegacy = 0;
  let exceptions = 0;
  let gc = 0;
  let load = 0;
  let store = 0;
  let rmw = 0;
  let cmpxchg = 0;
  let waitNotify = 0;
  let fence = 0;
  while (pos < end) {
    const op = bytes[pos++];
    total++;
    const k = OPCODE_CLASS[op];
    // The most frequent classes first, ahead of the switch (measured faster than the switch alone).
    if (k === C_U32) {
      if (bytes[pos++] & 0x80) pos = skipU32(bytes, pos);
      continue;
    }
    if (k === C_NONE) continue;
    if (k === C_I32) {
      if (bytes[pos++] & 0x80) pos = skipS32(bytes, pos);
      continue;
    }
    if (k === C_MEMARG) {
      if (memories === 0) return -1;
      pos = skipMemarg(bytes, pos, memory64);
      continue;
    }
    switch (k) {
      case C_END:
        if (depth === 0) {
          if (pos !== end) return -1;
          const c = ctx.counts;
          if (c === null) return -1;
          c.total += total;
          c.simd += simd;
          c.relaxedSimd += relaxedSimd;
          c.bulkMemory += bulkMemory;
          c.nontrappingFloatToInt += satConv;
          c.signExt += signExt;
          c.referenceTypes += referenceTypes;
          c.tailCall += tailCall;
          c.exceptionsLegacy += exceptionsLegacy;
          c.exceptions += exceptions;
          c.gc += gc;
          const a = c.atomic;
          a.load += load;
          a.store += store;
          a.rmw += rmw;
          a.cmpxchg += cmpxchg;
          a.waitNotify += waitNotify;
          a.fence += fence;
          if (typed) ctx.typedBlocks = true;
          return pos;
        }
        depth--;
        break;
      case C_BLOCK:
        if (SHORT_BLOCKTYPE[bytes[pos]] === 1) pos++;
        else {
          pos = skipTypeIndex(bytes, pos, typeCount);
          typed = true;
        }
        depth++;
        break;
      case C_I64:
        if (bytes[pos++] & 0x80) pos = skipS64(bytes, pos);
        break;
      case C_F32:
        pos += 4;
        break;
      case C_F64:
        pos += 8;
        break;
      case C_BR_TABLE: {
        let n = bytes[pos++];
        if (n & 0x80) {
          n = readU32(bytes, pos - 1);
          if (n < 0) return -1;
          pos = u32End;
        }
        if (!(n <= end - pos)) return -1;
        for (let i = 0; i <= n && pos < end; i++) if (bytes[pos++] & 0x80) pos = skipU32(bytes, pos);
        break;
      }
      case C_U32X2:
        if (bytes[pos++] & 0x80) pos = skipU32(bytes, pos);
        if (bytes[pos++] & 0x80) pos = skipU32(bytes, pos);
        break;
      case C_MEMIDX:
        if (memories === 0 || bytes[pos++] !== 0) return -1;
        break;
      case C_SIGN_EXT:
        signExt++;
        break;
      case C_FC: {
        const sub = bytes[pos++];
        if (sub <= 7) satConv++;
        else if (sub === 10) {
          // memory.copy dst src
          if (memories === 0 || bytes[pos] !== 0 || bytes[pos + 1] !== 0) return -1;
          pos += 2;
          bulkMemory++;
        } else if (sub === 11) {
          // memory.fill
          if (memories === 0 || bytes[pos++] !== 0) return -1;
          bulkMemory++;
        } else if (sub === 8) {
          // memory.init dataidx memidx
          if (!hasDataCount) return -1;
          if (bytes[pos++] & 0x80) pos = skipU32(bytes, pos);
          if (memories === 0 || bytes[pos++] !== 0) return -1;
          bulkMemory++;
        } else if (sub === 9) {
          // data.drop
          if (!hasDataCount) return -1;
          if (bytes[pos++] & 0x80) pos = skipU32(bytes, pos);
          bulkMemory++;
        } else if (sub === 12 || sub === 14) {
          // table.init, table.copy
          if (bytes[pos++] & 0x80) pos = skipU32(bytes, pos);
          if (bytes[pos++] & 0x80) pos = skipU32(bytes, pos);
          bulkMemory++;
        } else if (sub === 13) {
          // elem.drop
          if (bytes[pos++] & 0x80) pos = skipU32(bytes, pos);
          bulkMemory++;
        } else if (sub >= 15 && sub <= 17) {
          // table.grow, table.size, table.fill
          if (bytes[pos++] & 0x80) pos = skipU32(bytes, pos);
          referenceTypes++;
        } else return -1;
        break;
      }
      case C_FD: {
        let sub = bytes[pos++];
        if (sub & 0x80) {
          const hi = bytes[pos++];
          if (hi & 0x80) return -1;
          sub = (sub & 0x7f) | (hi << 7);
        }
        switch (SIMD_CLASS[sub]) {
          case 0:
            if (!(sub < 0x100)) return -1; // unassigned above relaxed SIMD, or past the bytes
            simd++;
            break;
          case 1:
            if (memories === 0) return -1;
            pos = skipMemarg(bytes, pos, memory64);
            simd++;
            break;
          case 2:
            pos += 16;
            simd++;
            break;
          case 3:
            pos++;
            simd++;
            break;
          case 4:
            if (memories === 0) return -1;
            pos = skipMemarg(bytes, pos, memory64) + 1;
            simd++;
            break;
          case 6:
            relaxedSimd++;
            break;
          default:
            return -1;
        }
        break;
      }
      case C_FE: {
        const sub = bytes[pos++];
        if (sub === 0x03) {
          if (bytes[pos++] !== 0) return -1;
          fence++;
          break;
        }
        const kind = ATOMIC_CLASS[sub];
        if (kind === undefined || kind === 0 || memories === 0) return -1;
        pos = skipMemarg(bytes, pos, memory64);
        if (kind === 4) rmw++;
        else if (kind === 2) load++;
        else if (kind === 3) store++;
        else if (kind === 5) cmpxchg++;
        else waitNotify++;
        break;
      }
      case C_RETURN_CALL:
        if (bytes[pos++] & 0x80) pos = skipU32(bytes, pos);
        tailCall++;
        break;
      case C_RETURN_CALL_INDIRECT:
        if (bytes[pos++] & 0x80) pos = skipU32(bytes, pos);
        if (bytes[pos++] & 0x80) pos = skipU32(bytes, pos);
        tailCall++;
        break;
      case C_CALL_REF:
        if (bytes[pos++] & 0x80) pos = skipU32(bytes, pos);
        gc++;
        break;
      case C_RETURN_CALL_REF:
        if (bytes[pos++] & 0x80) pos = skipU32(bytes, pos);
        gc++;
        tailCall++;
        break;
      case C_REF_U32:
        if (bytes[pos++] & 0x80) pos = skipU32(bytes, pos);
        referenceTypes++;
        break;
      case C_REF:
        referenceTypes++;
        break;
      case C_GC:
        gc++;
        break;
      case C_GC_U32:
        if (bytes[pos++] & 0x80) pos = skipU32(bytes, pos);
        gc++;
        break;
      case C_THROW:
        if (bytes[pos++] & 0x80) pos = skipU32(bytes, pos);
        exceptions++;
        break;
      case C_THROW_REF:
        exceptions++;
        break;
      case C_LEGACY_U32:
        if (bytes[pos++] & 0x80) pos = skipU32(bytes, pos);
        exceptionsLegacy++;
        break;
      case C_CATCH_ALL:
        exceptionsLegacy++;
        break;
      case C_TRY:
        if (SHORT_BLOCKTYPE[bytes[pos]] === 1) pos++;
        else {
          pos = skipTypeIndex(bytes, pos, typeCount);
          typed = true;
        }
        depth++;
        exceptionsLegacy++;
        break;
      case C_DELEGATE:
        if (depth === 0) return -1;
        if (bytes[pos++] & 0x80) pos = skipU32(bytes, pos);
        depth--;
        exceptionsLegacy++;
        break;
      case C_REF_NULL: {
        // ref.null of funcref, externref, exn or noexn (heap types that count no GC type)
        const h = bytes[pos++];
        if (h !== 0x70 && h !== 0x6f && h !== 0x69 && h !== 0x74) return -1;
        referenceTypes++;
        break;
      }
      default:
        return -1;
    }
  }
  return -1; // ran past the body's end: the exact decoder says where and why
}

/**
 * Decodes one function body, `bytes[start, end)`, with the exact decoder: its local declarations (a vector of
 * count and value type, at most 2^32-1 locals in all), then its expression (`decodeExpr`), which must end exactly
 * at `end`. Adds to `ctx.counts` and sets `ctx.typedBlocks` as `decodeExpr` does; GC reference types seen are
 * counted in `typeUse.gc`.
 *
 * @throws WasmParseError with the offset: "unexpected end", "too many locals", "malformed value type", any error of
 *   `decodeExpr`, or "section size mismatch" when the expression ends before `end`.
 * Source: Core Spec 2.0 §5.5.13 (code section: func ::= vec(locals) expr).
 */
export function decodeBodyExact(
  bytes: Uint8Array,
  start: number,
  end: number,
  ctx: ExprContext,
  typeUse: { gc: number },
): void {
  const br = new ByteReader(bytes, start, end, typeUse);
  const at = br.pos;
  const groups = br.u32();
  if (groups > br.remaining) br.fail('unexpected end', `${groups} local groups in ${br.remaining} bytes`, at);
  let locals = 0;
  for (let g = 0; g < groups; g++) {
    const lat = br.pos;
    locals += br.u32();
    if (locals > MAX_LOCALS) br.fail('too many locals', `at most ${MAX_LOCALS} locals`, lat);
    readValType(br, ctx.typeCount);
  }
  decodeExpr(br, ctx);
  if (!br.eof()) br.fail('section size mismatch', `the function body to end at byte ${br.end}`, br.pos);
}

/**
 * Counts one function body, `bytes[start, end)`, into `ctx.counts`: by the fast path (`scanBody`) when it accepts
 * the body, else by the exact decoder (`decodeBodyExact`), which decodes it from its start. Either way the counts,
 * `ctx.typedBlocks` and `typeUse.gc` end as the exact decoder alone would leave them.
 *
 * @throws WasmParseError as `decodeBodyExact` (only for a body the fast path gave back).
 */
export function decodeBody(
  bytes: Uint8Array,
  start: number,
  end: number,
  ctx: ExprContext,
  typeUse: { gc: number },
): void {
  if (end < FAST_PATH_LIMIT && scanBody(bytes, start, end, ctx) === end) return;
  decodeBodyExact(bytes, start, end, ctx, typeUse);
}
