import type { ByteReader } from './reader.ts';
import type { InstructionCounts } from './types.ts';
import { readBlockType, readHeapType, readValType } from './valtypes.ts';

/** What the instruction decoder needs from the module around it. */
export interface ExprContext {
  typeCount: number;
  /** Per memory in the index space: true when it is a 64-bit memory (memory64). */
  memory64: boolean[];
  hasDataCount: boolean;
  /** Counts to add to; null for constant expressions (not counted, as `wasm-objdump -d` shows only code). */
  counts: InstructionCounts | null;
  /** Set to true when a block type names a type index. */
  typedBlocks: boolean;
}

// SIMD opcodes (0xFD prefix) in 0x5E–0xFF that the SIMD proposal leaves unassigned.
const SIMD_RESERVED = new Set([
  0x9a, 0xa2, 0xa5, 0xa6, 0xaf, 0xb0, 0xb2, 0xb3, 0xb4, 0xbb, 0xc2, 0xc5, 0xc6, 0xcf, 0xd0, 0xd2, 0xd3, 0xd4, 0xe2,
  0xee,
]);

function memoryIndex(r: ByteReader, ctx: ExprContext, at: number, idx: number): void {
  if (idx >= ctx.memory64.length) {
    r.fail(
      'unknown memory',
      `a memory index below ${ctx.memory64.length} (the module has ${ctx.memory64.length})`,
      at,
      'invalid',
    );
  }
  if (idx !== 0 && ctx.counts) ctx.counts.multiMemory++;
}

/** memarg: align (bit 6 set: a memory index follows, multi-memory), then offset (u64 on a 64-bit memory). */
function memarg(r: ByteReader, ctx: ExprContext, at: number): void {
  let align = r.u32();
  let mem = 0;
  if (align & 0x40) {
    align -= 0x40;
    mem = r.u32();
  }
  if (align >= 0x40) r.fail('malformed memop flags', 'an alignment exponent below 64', at);
  memoryIndex(r, ctx, at, mem);
  if (ctx.memory64[mem]) r.u64();
  else r.u32();
}

function memidx(r: ByteReader, ctx: ExprContext, at: number): void {
  memoryIndex(r, ctx, at, r.u32());
}

function dataIndexNeedsCount(r: ByteReader, ctx: ExprContext, at: number): void {
  if (!ctx.hasDataCount)
    r.fail('data count section required', 'a data count section before the code section', at, 'invalid');
  r.u32();
}

function prefixFC(r: ByteReader, ctx: ExprContext, at: number, c: InstructionCounts | null): void {
  const sub = r.u32();
  if (sub <= 7) {
    if (c) c.nontrappingFloatToInt++;
    return;
  }
  switch (sub) {
    case 8: // memory.init dataidx memidx
      dataIndexNeedsCount(r, ctx, at);
      memidx(r, ctx, at);
      break;
    case 9: // data.drop
      dataIndexNeedsCount(r, ctx, at);
      break;
    case 10: // memory.copy dst src
      memidx(r, ctx, at);
      memidx(r, ctx, at);
      break;
    case 11: // memory.fill
      memidx(r, ctx, at);
      break;
    case 12: // table.init elemidx tableidx
    case 14: // table.copy
      r.u32();
      r.u32();
      break;
    case 13: // elem.drop
      r.u32();
      break;
    case 15: // table.grow / table.size / table.fill
    case 16:
    case 17:
      r.u32();
      if (c) c.referenceTypes++;
      return;
    default:
      r.fail(`illegal opcode fc ${sub.toString(16)}`, 'a 0xFC instruction (0x00-0x11)', at);
  }
  if (c) c.bulkMemory++;
}

function prefixFD(r: ByteReader, ctx: ExprContext, at: number, c: InstructionCounts | null): void {
  const sub = r.u32();
  if (sub <= 0x0b || sub === 0x5c || sub === 0x5d) {
    memarg(r, ctx, at); // loads, splat loads, v128.store, load zero
  } else if (sub === 0x0c || sub === 0x0d) {
    r.skip(16, sub === 0x0c ? 'bytes of a v128 constant' : 'lane indices of i8x16.shuffle');
  } else if (sub >= 0x15 && sub <= 0x22) {
    r.u8(); // lane index
  } else if (sub >= 0x54 && sub <= 0x5b) {
    memarg(r, ctx, at);
    r.u8();
  } else if (sub >= 0x100) {
    if (sub > 0x113) r.fail(`illegal opcode fd ${sub.toString(16)}`, 'a SIMD instruction', at);
    if (c) c.relaxedSimd++;
    return;
  } else if (SIMD_RESERVED.has(sub)) {
    r.fail(`illegal opcode fd ${sub.toString(16)}`, 'a SIMD instruction', at);
  }
  if (c) c.simd++;
}

function prefixFE(r: ByteReader, ctx: ExprContext, at: number, c: InstructionCounts | null): void {
  const sub = r.u32();
  if (sub === 0x03) {
    // atomic.fence: one reserved zero byte
    if (r.u8() !== 0) r.fail('malformed atomic.fence', 'a zero byte after atomic.fence', at);
    if (c) c.atomic.fence++;
    return;
  }
  if (sub > 0x4e || (sub > 0x02 && sub < 0x10))
    r.fail(`illegal opcode fe ${sub.toString(16)}`, 'an atomic instruction', at);
  if (ctx.memory64.length === 0) {
    r.fail('unknown memory', 'a memory for the atomic instruction (the module has none)', at, 'invalid');
  }
  memarg(r, ctx, at);
  if (!c) return;
  if (sub <= 0x02) c.atomic.waitNotify++;
  else if (sub <= 0x16) c.atomic.load++;
  else if (sub <= 0x1d) c.atomic.store++;
  else if (sub <= 0x47) c.atomic.rmw++;
  else c.atomic.cmpxchg++;
}

function prefixFB(r: ByteReader, ctx: ExprContext, at: number, c: InstructionCounts | null): void {
  const sub = r.u32();
  switch (sub) {
    case 0:
    case 1:
    case 6:
    case 7:
    case 11:
    case 12:
    case 13:
    case 14:
    case 16:
      r.u32();
      break;
    case 2:
    case 3:
    case 4:
    case 5:
    case 8:
    case 9:
    case 10:
    case 17:
    case 18:
    case 19:
      r.u32();
      r.u32();
      break;
    case 15:
    case 26:
    case 27:
    case 28:
    case 29:
    case 30:
      break;
    case 20:
    case 21:
    case 22:
    case 23:
      readHeapType(r, ctx.typeCount);
      break;
    case 24: // br_on_cast flags label ht1 ht2
    case 25:
      r.u8();
      r.u32();
      readHeapType(r, ctx.typeCount);
      readHeapType(r, ctx.typeCount);
      break;
    default:
      r.fail(`illegal opcode fb ${sub.toString(16)}`, 'a GC instruction (0xFB 0x00-0x1e)', at);
  }
  if (c) c.gc++;
}

/**
 * Decodes one expression (a function body after its locals, or a constant expression) up to and including its
 * final `end`, adding to `ctx.counts`. Work is linear in the bytes read: every instruction consumes at least one
 * byte and every vector count is bounded by the bytes left.
 *
 * @throws WasmParseError for an unknown opcode ("illegal opcode"), a truncated body ("END opcode expected" when the
 *   body ends before its final `end`), a malformed immediate, or a memory instruction without a memory.
 * Source: Core Spec 2.0 §5.4 plus the threads, SIMD, relaxed SIMD, tail call, exception handling, GC, multi-memory
 * and memory64 proposals' binary encodings.
 */
export function decodeExpr(r: ByteReader, ctx: ExprContext): void {
  const c = ctx.counts;
  const bytes = r.bytes;
  let depth = 0;
  for (;;) {
    if (r.pos >= r.end) r.fail('END opcode expected', 'an `end` closing the expression');
    const at = r.pos;
    const op = bytes[r.pos++];
    if (c) c.total++;
    if (op >= 0x45 && op <= 0xbf) continue; // numeric instructions without immediates
    switch (op) {
      case 0x00:
      case 0x01:
      case 0x05:
      case 0x0f:
      case 0x1a:
      case 0x1b:
        break;
      case 0x02: // block, loop, if
      case 0x03:
      case 0x04:
        if (readBlockType(r, ctx.typeCount)) ctx.typedBlocks = true;
        depth++;
        break;
      case 0x0b: // end
        if (depth === 0) return;
        depth--;
        break;
      case 0x0c:
      case 0x0d:
      case 0x10:
      case 0x20:
      case 0x21:
      case 0x22:
      case 0x23:
      case 0x24:
        r.u32();
        break;
      case 0x0e: {
        // br_table: vec(labelidx) labelidx
        const n = r.u32();
        if (n > r.remaining) r.fail('unexpected end', `${n} br_table labels`, at);
        for (let i = 0; i <= n; i++) r.u32();
        break;
      }
      case 0x11: // call_indirect typeidx tableidx
        r.u32();
        r.u32();
        break;
      case 0x12: // return_call
        r.u32();
        if (c) c.tailCall++;
        break;
      case 0x13: // return_call_indirect
        r.u32();
        r.u32();
        if (c) c.tailCall++;
        break;
      case 0x14: // call_ref, return_call_ref
      case 0x15:
        r.u32();
        if (c) {
          c.gc++;
          if (op === 0x15) c.tailCall++;
        }
        break;
      case 0x06: // try (legacy)
        if (readBlockType(r, ctx.typeCount)) ctx.typedBlocks = true;
        depth++;
        if (c) c.exceptionsLegacy++;
        break;
      case 0x07: // catch tagidx (legacy)
      case 0x09: // rethrow labelidx (legacy)
        r.u32();
        if (c) c.exceptionsLegacy++;
        break;
      case 0x18: // delegate labelidx (legacy): closes the try like `end`
        r.u32();
        if (depth === 0) r.fail('delegate outside a try block', 'an instruction', at, 'invalid');
        depth--;
        if (c) c.exceptionsLegacy++;
        break;
      case 0x19: // catch_all (legacy)
        if (c) c.exceptionsLegacy++;
        break;
      case 0x08: // throw tagidx
        r.u32();
        if (c) c.exceptions++;
        break;
      case 0x0a: // throw_ref
        if (c) c.exceptions++;
        break;
      case 0x1f: {
        // try_table blocktype vec(catch)
        if (readBlockType(r, ctx.typeCount)) ctx.typedBlocks = true;
        const n = r.u32();
        if (n > r.remaining) r.fail('unexpected end', `${n} try_table catch clauses`, at);
        for (let i = 0; i < n; i++) {
          const kind = r.u8();
          if (kind > 3) r.fail('malformed catch clause', 'a catch kind 0-3', r.pos - 1);
          if (kind < 2) r.u32();
          r.u32();
        }
        depth++;
        if (c) c.exceptions++;
        break;
      }
      case 0x1c: {
        // select with types
        const n = r.u32();
        if (n > r.remaining) r.fail('unexpected end', `${n} select types`, at);
        for (let i = 0; i < n; i++) readValType(r, ctx.typeCount);
        if (c) c.referenceTypes++;
        break;
      }
      case 0x25: // table.get, table.set
      case 0x26:
        r.u32();
        if (c) c.referenceTypes++;
        break;
      case 0x3f: // memory.size, memory.grow
      case 0x40:
        memidx(r, ctx, at);
        break;
      case 0x41:
        r.s32();
        break;
      case 0x42:
        r.s64();
        break;
      case 0x43:
        r.skip(4, 'bytes of an f32');
        break;
      case 0x44:
        r.skip(8, 'bytes of an f64');
        break;
      case 0xc0:
      case 0xc1:
      case 0xc2:
      case 0xc3:
      case 0xc4:
        if (c) c.signExt++;
        break;
      case 0xd0: // ref.null heaptype
        readHeapType(r, ctx.typeCount);
        if (c) c.referenceTypes++;
        break;
      case 0xd1: // ref.is_null
        if (c) c.referenceTypes++;
        break;
      case 0xd2: // ref.func
        r.u32();
        if (c) c.referenceTypes++;
        break;
      case 0xd3: // ref.eq, ref.as_non_null
      case 0xd4:
        if (c) c.gc++;
        break;
      case 0xd5: // br_on_null, br_on_non_null
      case 0xd6:
        r.u32();
        if (c) c.gc++;
        break;
      case 0xfb:
        prefixFB(r, ctx, at, c);
        break;
      case 0xfc:
        prefixFC(r, ctx, at, c);
        break;
      case 0xfd:
        prefixFD(r, ctx, at, c);
        break;
      case 0xfe:
        prefixFE(r, ctx, at, c);
        break;
      default:
        if (op >= 0x28 && op <= 0x3e) {
          memarg(r, ctx, at); // loads and stores
          break;
        }
        r.fail(`illegal opcode ${op.toString(16).padStart(2, '0')}`, 'an instruction opcode', at);
    }
  }
}
