// The code section's fast path in WebAssembly (scan.wat): scanBody's one pass, about four times faster than the
// JavaScript one, for a module whose bytes lie in a memory made here (`moduleBuffer`; the CLI reads module files into
// one). It reads them where they are, so nothing is copied, and WebAssembly.validate takes the same bytes. Bytes
// anywhere else go the JavaScript way (code.ts), as copying them in would cost more than it saves (fresh pages).
// Either way a body it gives back goes to the exact decoder: the counts and errors are the exact decoder's.
import { ATOMIC_CLASS, OPCODE_CLASS, PLAIN_VALTYPE, SHORT_BLOCKTYPE, SIMD_CLASS } from './code.ts';
import type { ExprContext } from './instructions.ts';
import { SCAN_WASM } from './scan-wasm.ts';
import type { InstructionCounts } from './types.ts';

// The memory's layout (scan.wat): tables, counters, then the module's bytes from BASE, then SLACK bytes that the
// reads past a body's end may touch (an instruction reads at most 15 bytes past its start).
const T_OPCODE = 0;
const T_SIMD = 256;
const T_ATOMIC = 544;
const T_PLAIN = 640;
const T_SHORT_BLOCKTYPE = 896;
const COUNTS = 1152;
const BASE = 4096;
const SLACK = 64;
const PAGE = 65536;
// Positions are i32 in the scanner: modules up to 1 GiB go in a memory, larger ones are read as usual.
const MAX_SIZE = 2 ** 30;

let compiled: WebAssembly.Module | undefined;
const memories = new WeakMap<ArrayBufferLike, { memory: WebAssembly.Memory; scanner?: WasmScanner }>();

/**
 * A zeroed buffer of `size` bytes for a module's bytes, in a WebAssembly memory the fast scanner reads in place:
 * read a module file into it (e.g. `readSync`) and pass it to `decodeModule` or `verifyBinary` like any other bytes.
 * @returns the view, or undefined when `size` is above 1 GiB or the memory cannot be had (then use a plain buffer)
 */
export function moduleBuffer(size: number): Uint8Array | undefined {
  if (!(size >= 0 && size <= MAX_SIZE)) return undefined;
  const pages = Math.ceil((BASE + size + SLACK) / PAGE);
  let memory: WebAssembly.Memory;
  try {
    memory = new WebAssembly.Memory({ initial: pages, maximum: pages });
  } catch {
    return undefined;
  }
  const all = new Uint8Array(memory.buffer);
  all.set(OPCODE_CLASS, T_OPCODE);
  all.set(SIMD_CLASS, T_SIMD);
  all.set(ATOMIC_CLASS, T_ATOMIC);
  all.set(PLAIN_VALTYPE, T_PLAIN);
  all.set(SHORT_BLOCKTYPE, T_SHORT_BLOCKTYPE);
  memories.set(memory.buffer, { memory });
  return new Uint8Array(memory.buffer, BASE, size);
}

/** The fast scanner over one memory made by `moduleBuffer`. */
export class WasmScanner {
  private readonly scanFn: (start: number, end: number) => number;
  private readonly scanCodeFn: (pos: number, end: number, n: number) => void;
  private readonly setupFn: (typeCount: number, memories: number, mem64: number, hasDataCount: number) => void;
  private readonly done: WebAssembly.Global;
  private readonly stoppedAt: WebAssembly.Global;
  private readonly counts: Int32Array;
  private offset = 0;

  constructor(memory: WebAssembly.Memory) {
    compiled ??= new WebAssembly.Module(Uint8Array.from(atob(SCAN_WASM), (c) => c.charCodeAt(0)));
    const exports = new WebAssembly.Instance(compiled, { scan: { memory } }).exports;
    this.scanFn = exports.scan as WasmScanner['scanFn'];
    this.scanCodeFn = exports.scanCode as WasmScanner['scanCodeFn'];
    this.setupFn = exports.setup as WasmScanner['setupFn'];
    this.done = exports.done as WebAssembly.Global;
    this.stoppedAt = exports.stoppedAt as WebAssembly.Global;
    this.counts = new Int32Array(memory.buffer, COUNTS, 18);
  }

  /**
   * Starts on the code section of `bytes` (a view into this memory): what the bodies may use, from `ctx`, and the
   * counters zeroed.
   */
  begin(bytes: Uint8Array, ctx: ExprContext): void {
    this.offset = bytes.byteOffset;
    const memories = ctx.memory64.length;
    this.setupFn(ctx.typeCount, memories, memories > 0 && ctx.memory64[0] ? 1 : 0, ctx.hasDataCount ? 1 : 0);
  }

  /**
   * Counts one body, `[start, end)` of the bytes given to `begin`, as `scanBody` would.
   * @returns true when it was counted; false when it must go to the exact decoder (nothing was counted)
   */
  body(start: number, end: number): boolean {
    const off = this.offset;
    try {
      return this.scanFn(off + start, off + end) === off + end;
    } catch {
      return false; // a trap (a read outside the memory): cannot happen with SLACK, but the exact decoder decides
    }
  }

  /**
   * Counts up to `n` entries of the code section (each a u32 size, then a body) from `pos`, none past `end`, for as
   * long as each size is a u32 that fits and each body is accepted; in one call, so there is no call per body.
   * @returns the entries counted and the position after them: the caller reads the next entry with the exact readers
   *   (its size may be malformed; its body goes to `decodeBody`), then calls again for the rest
   */
  entries(pos: number, end: number, n: number): { done: number; pos: number } {
    const off = this.offset;
    try {
      this.scanCodeFn(off + pos, off + end, n);
    } catch {
      // a trap (a read outside the memory): cannot happen with SLACK; the bodies before it were counted whole
    }
    return { done: this.done.value as number, pos: (this.stoppedAt.value as number) - off };
  }

  /** Adds the counts of the bodies accepted since `begin` to `c`, and sets `ctx.typedBlocks` when one named a type. */
  finish(c: InstructionCounts, ctx: ExprContext): void {
    const n = this.counts;
    c.total += n[0];
    c.simd += n[1];
    c.relaxedSimd += n[2];
    c.bulkMemory += n[3];
    c.nontrappingFloatToInt += n[4];
    c.signExt += n[5];
    c.referenceTypes += n[6];
    c.tailCall += n[7];
    c.exceptionsLegacy += n[8];
    c.exceptions += n[9];
    c.gc += n[10];
    const a = c.atomic;
    a.load += n[11];
    a.store += n[12];
    a.rmw += n[13];
    a.cmpxchg += n[14];
    a.waitNotify += n[15];
    a.fence += n[16];
    if (n[17]) ctx.typedBlocks = true;
  }
}

/**
 * The fast scanner for `bytes` when they are a view made by `moduleBuffer` (or a part of one); undefined for any
 * other bytes.
 */
export function wasmScanner(bytes: Uint8Array): WasmScanner | undefined {
  const entry = memories.get(bytes.buffer);
  if (!entry || bytes.byteOffset < BASE || bytes.byteOffset + bytes.length + SLACK > bytes.buffer.byteLength) {
    return undefined;
  }
  entry.scanner ??= new WasmScanner(entry.memory);
  return entry.scanner;
}
