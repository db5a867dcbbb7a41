// The code section's fast path (scanBody) against the exact decoder (decodeBodyExact): whatever the body, when the
// fast path accepts it, the exact decoder accepts it too with the same counts; the fast path never throws. Bodies
// come from the corpus, from seeded mutations of them, and from a seeded generator of instruction sequences with
// every immediate encoding (minimal, padded, too long, too large). Then the decoder's results on the whole corpus are
// pinned by a digest, taken before the fast path existed, so no count or error can change unnoticed.
import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { rng } from '../../../test/helpers/child.ts';
import { CORPUS, corpusFile } from '../../../test/helpers/corpus.ts';
import { decodeBodyExact, scanBody } from '../src/code.ts';
import { moduleBuffer, wasmScanner } from '../src/code-wasm.ts';
import { decodeModule, emptyCounts, type InstructionCounts, WasmParseError } from '../src/index.ts';
import type { ExprContext } from '../src/instructions.ts';
import { ByteReader } from '../src/reader.ts';

interface Env {
  typeCount: number;
  memory64: boolean[];
  hasDataCount: boolean;
}
const context = (env: Env): ExprContext => ({
  typeCount: env.typeCount,
  memory64: env.memory64,
  hasDataCount: env.hasDataCount,
  counts: emptyCounts(),
  typedBlocks: false,
});

type Outcome =
  | { ok: true; counts: InstructionCounts; typedBlocks: boolean; gcTypes: number }
  | { ok: false; error: string };

/** The exact decoder's verdict on a body. */
function exact(bytes: Uint8Array, start: number, end: number, env: Env): Outcome {
  const ctx = context(env);
  const typeUse = { gc: 0 };
  try {
    decodeBodyExact(bytes, start, end, ctx, typeUse);
    return { ok: true, counts: ctx.counts as InstructionCounts, typedBlocks: ctx.typedBlocks, gcTypes: typeUse.gc };
  } catch (e) {
    if (!(e instanceof WasmParseError)) throw e;
    return { ok: false, error: e.message };
  }
}

// A memory of moduleBuffer for the WebAssembly scanner, reused: the bytes after a copied body are whatever an earlier
// test left there, as a body's neighbours would be.
const SCRATCH = moduleBuffer(1 << 22) as Uint8Array;

/** `bytes` in a memory of moduleBuffer (SCRATCH when they fit). */
function inModuleBuffer(bytes: Uint8Array): Uint8Array {
  const view = bytes.length <= SCRATCH.length ? SCRATCH.subarray(0, bytes.length) : moduleBuffer(bytes.length);
  if (!view) throw new Error('no module buffer');
  view.set(bytes);
  return view;
}

/** The WebAssembly scanner's verdict on one body: accepted or not, with the counts it adds. */
function wasmScan(bytes: Uint8Array, start: number, end: number, env: Env): { ok: boolean; ctx: ExprContext } {
  const view = inModuleBuffer(bytes);
  const ctx = context(env);
  const scanner = wasmScanner(view);
  if (!scanner) throw new Error('no WebAssembly scanner for a module buffer');
  scanner.begin(view, ctx);
  const ok = scanner.body(start, end);
  scanner.finish(ctx.counts as InstructionCounts, ctx);
  return { ok, ctx };
}

/**
 * Checks the fast path on one body against the exact decoder, and the WebAssembly scanner against the fast path
 * (same verdict, same counts); returns whether the fast path accepted it.
 */
function agree(bytes: Uint8Array, start: number, end: number, env: Env): boolean {
  const ctx = context(env);
  const pos = scanBody(bytes, start, end, ctx);
  const wasm = wasmScan(bytes, start, end, env);
  expect({ ok: wasm.ok, counts: wasm.ctx.counts, typedBlocks: wasm.ctx.typedBlocks }).toEqual({
    ok: pos !== -1,
    counts: ctx.counts,
    typedBlocks: ctx.typedBlocks,
  });
  if (pos === -1) {
    expect(ctx.counts).toEqual(emptyCounts()); // nothing written when the body is given back
    return false;
  }
  expect(pos).toBe(end);
  const want = exact(bytes, start, end, env);
  expect(want).toEqual({ ok: true, counts: ctx.counts, typedBlocks: ctx.typedBlocks, gcTypes: 0 });
  return true;
}

/** The function bodies of a module, as [start, end) pairs; [] when the sections cannot be walked. */
function bodies(bytes: Uint8Array): [number, number][] {
  const out: [number, number][] = [];
  try {
    const r = new ByteReader(bytes, 8);
    while (!r.eof()) {
      const id = r.u8();
      const size = r.u32();
      const end = r.pos + size;
      if (id === 10) {
        const s = new ByteReader(bytes, r.pos, end);
        for (let i = 0, n = s.u32(); i < n; i++) {
          const len = s.u32();
          if (len > s.remaining) break;
          out.push([s.pos, s.pos + len]);
          s.pos += len;
        }
      }
      r.pos = end;
    }
  } catch {
    // a malformed module: the bodies found so far
  }
  return out;
}

function envOf(bytes: Uint8Array): Env {
  try {
    const info = decodeModule(bytes, { multiMemory: true });
    if (info.kind === 'module') {
      return {
        typeCount: info.typeCount,
        memory64: info.memories.map((m) => m.limits.index64),
        hasDataCount: info.dataCount !== undefined,
      };
    }
  } catch {
    // an invalid or malformed module: a plausible environment
  }
  return { typeCount: 8, memory64: [false], hasDataCount: true };
}

const FILES = ['binaries', 'spec/valid', 'spec/invalid', 'spec/malformed'].flatMap((d) =>
  readdirSync(join(CORPUS, d))
    .filter((f) => f.endsWith('.wasm'))
    .sort()
    .map((f) => `${d}/${f}`),
);

describe('the code section fast path', () => {
  it('counts every corpus body it accepts exactly as the exact decoder, and accepts nearly all of them', () => {
    let accepted = 0;
    let total = 0;
    for (const file of FILES) {
      const bytes = corpusFile(file);
      const env = envOf(bytes);
      for (const [start, end] of bodies(bytes)) {
        total++;
        if (agree(bytes, start, end, env)) accepted++;
      }
    }
    expect(total).toBeGreaterThan(1200);
    // Only bodies with rare instructions (typed select, try_table, GC, other memories than 0) go the exact way.
    expect(accepted / total).toBeGreaterThan(0.95);
  });

  it('agrees with the exact decoder on 20000 seeded mutations of corpus bodies', () => {
    const rand = rng(0xc0de);
    const pool = FILES.flatMap((file) => {
      const bytes = corpusFile(file);
      const env = envOf(bytes);
      return bodies(bytes)
        .filter(([s, e]) => e - s < 4096)
        .map(([s, e]) => ({ body: bytes.slice(s, e), env }));
    });
    const special = [0x00, 0x0b, 0x40, 0x7f, 0x80, 0xff, 0xfe, 0xfd, 0xfc, 0xfb, 0x02, 0x41, 0x28, 0x70, 0x63];
    let accepted = 0;
    for (let n = 0; n < 20_000; n++) {
      const { body, env } = pool[Math.floor(rand() * pool.length)];
      let b = Uint8Array.from(body);
      const at = Math.floor(rand() * b.length);
      switch (Math.floor(rand() * 5)) {
        case 0:
          b[at] ^= 1 << Math.floor(rand() * 8);
          break;
        case 1:
          b[at] = special[Math.floor(rand() * special.length)];
          break;
        case 2:
          b = b.subarray(0, at);
          break;
        case 3:
          b = Uint8Array.from([...b.subarray(0, at), Math.floor(rand() * 256), ...b.subarray(at)]);
          break;
        default:
          b = Uint8Array.from([...b.subarray(0, at), ...b.subarray(at + 1)]);
      }
      // Embedded in other bytes, so reads past the body's end see data, not the end of the array.
      const framed = Uint8Array.from([0x0b, ...b, 0x0b, 0x0b, 0x80, 0x80]);
      if (agree(framed, 1, 1 + b.length, env)) accepted++;
    }
    expect(accepted).toBeGreaterThan(1000);
  });

  it('agrees with the exact decoder on 20000 generated bodies covering every instruction class and encoding', () => {
    const rand = rng(0xb0d1e5);
    const int = (n: number) => Math.floor(rand() * n);
    const pick = <T>(a: readonly T[]): T => a[int(a.length)];
    const uleb = (v: number, pad = 0): number[] => {
      const o: number[] = [];
      do {
        let b = v % 128;
        v = Math.floor(v / 128);
        if (v || pad > 0) b |= 0x80;
        o.push(b);
      } while (v);
      while (pad-- > 0) o.push(pad > 0 ? 0x80 : 0);
      return o;
    };
    const sleb = (v: number): number[] => {
      const o: number[] = [];
      for (;;) {
        const b = v & 0x7f;
        v = Math.floor(v / 128);
        if ((v === 0 && !(b & 0x40)) || (v === -1 && b & 0x40)) return [...o, b];
        o.push(b | 0x80);
      }
    };
    let clean = true; // only well-formed encodings (minimal or padded); otherwise some malformed ones too
    const u32 = (v: number): number[] => {
      const x = rand();
      if (x < 0.8) return uleb(v);
      if (x < 0.9 || clean) return v < 2 ** 21 ? uleb(v, 1 + int(2)) : uleb(v);
      if (x < 0.95) return [0xff, 0xff, 0xff, 0xff, pick([0x0f, 0x1f, 0x7f, 0x8f, 0x00])];
      return [0x80, 0x80, 0x80, 0x80, 0x80, 0x00];
    };
    const s32 = (): number[] => {
      const x = rand() * (clean ? 0.85 : 1);
      if (x < 0.7) return sleb(int(2 ** 16) - 2 ** 15);
      if (x < 0.85) return sleb(pick([2 ** 31 - 1, -(2 ** 31), 64, -65, 1 << 28]));
      return [0xff, 0xff, 0xff, 0xff, pick([0x07, 0x78, 0x7f, 0x4f, 0x70, 0x08, 0x87])];
    };
    const s64 = (): number[] => {
      if (rand() < 0.7) return sleb(int(2 ** 20) - 2 ** 19);
      const a = [...new Array(9).fill(0xff), clean ? 0x7f : pick([0x7f, 0x00, 0x01, 0x7e, 0xff])];
      return clean ? a : a.slice(0, 1 + int(10));
    };
    const u64 = (): number[] =>
      rand() < 0.7 || clean ? uleb(int(5000)) : [...new Array(9).fill(0x80), pick([0, 1, 2, 0x80])];
    const memarg = (env: Env): number[] => {
      const x = rand() * (clean ? 0.95 : 1);
      const align =
        x < 0.85
          ? uleb(int(4))
          : x < 0.9
            ? [0x40 | int(4), ...u32(int(env.memory64.length + 1))]
            : x < 0.95
              ? [0x82, 0x00]
              : [pick([0x40, 0x7f, 0x3f])];
      return [...align, ...(env.memory64[0] ? u64() : rand() < 0.5 ? uleb(int(300)) : u32(int(70000)))];
    };
    const blockType = (env: Env): number[] => {
      const x = rand() * (clean ? 0.9 : 1);
      if (x < 0.4) return [0x40];
      if (x < 0.6) return [pick([0x7f, 0x7e, 0x7d, 0x7c, 0x7b, 0x70, 0x6f, 0x69, 0x74, 0x6e, 0x6b])];
      if (x < 0.8) return uleb(int(env.typeCount + (clean ? 0 : 2)));
      if (x < 0.9) return uleb(int(env.typeCount + 1), 1 + int(3)).slice(0, 5);
      return [pick([0x63, 0x64]), pick([0x70, 0x6f, 0x00, 0x6e])];
    };
    const ATOMIC = [0, 1, 2, ...Array.from({ length: 0x3f }, (_, i) => 0x10 + i)];
    const instruction = (env: Env): number[] => {
      const r = rand();
      if (r < 0.25) return [0x45 + int(0xbf - 0x45 + 1)];
      if (r < 0.3) return [pick([0x00, 0x01, 0x0f, 0x1a, 0x1b, 0x05])];
      if (r < 0.4) return [pick([0x0c, 0x0d, 0x10, 0x20, 0x21, 0x22, 0x23, 0x24]), ...u32(int(300))];
      if (r < 0.47) return [0x28 + int(0x3e - 0x28 + 1), ...memarg(env)];
      if (r < 0.52) return [0x41, ...s32()];
      if (r < 0.55) return [0x42, ...s64()];
      if (r < 0.57) return [0x43, 0, 0, 0, 0];
      if (r < 0.58) return [0x44, 0, 0, 0, 0, 0, 0, 0, 0];
      if (r < 0.6) {
        const n = int(5);
        return [0x0e, ...u32(n), ...Array.from({ length: n + 1 }, () => u32(int(5))).flat()];
      }
      if (r < 0.61) return [0x11, ...u32(int(3)), ...u32(int(2))];
      if (r < 0.62) return [pick([0x3f, 0x40]), ...(rand() < 0.9 ? [0] : u32(int(3)))];
      if (r < 0.63) return [0xc0 + int(5)];
      if (r < 0.67) {
        const sub = rand() < 0.5 ? int(8) : int(19);
        const a = [0xfc, ...(rand() < 0.95 ? uleb(sub) : uleb(sub, 1))];
        const mem = () => (rand() < 0.9 ? [0] : u32(int(3)));
        if (sub === 8) a.push(...u32(int(2)), ...mem());
        else if (sub === 9 || sub === 13 || (sub >= 15 && sub <= 17)) a.push(...u32(int(3)));
        else if (sub === 10) a.push(...mem(), ...mem());
        else if (sub === 11) a.push(...mem());
        else if (sub === 12 || sub === 14) a.push(...u32(int(3)), ...u32(int(3)));
        return a;
      }
      if (r < 0.75) {
        const sub = rand() < 0.85 ? int(0x100) : rand() < 0.7 ? 0x100 + int(0x14) : int(0x200);
        const a = [0xfd, ...(rand() < 0.95 ? uleb(sub) : uleb(sub, 1 + int(2)))];
        if (sub <= 0x0b || sub === 0x5c || sub === 0x5d) a.push(...memarg(env));
        else if (sub === 0x0c || sub === 0x0d) a.push(...new Array(16).fill(int(256)));
        else if (sub >= 0x15 && sub <= 0x22) a.push(int(16));
        else if (sub >= 0x54 && sub <= 0x5b) a.push(...memarg(env), int(16));
        return a;
      }
      if (r < 0.8) {
        const sub = rand() < 0.1 ? 3 : rand() < 0.9 ? pick(ATOMIC) : int(0x60);
        const a = [0xfe, ...(rand() < 0.95 ? uleb(sub) : uleb(sub, 1))];
        if (sub === 3) a.push(rand() < 0.9 ? 0 : 1);
        else a.push(...memarg(env));
        return a;
      }
      if (r < 0.83) return [pick([0x12, 0x14, 0x15, 0x25, 0x26, 0xd2, 0xd5, 0xd6, 0x08, 0x07, 0x09]), ...u32(int(4))];
      if (r < 0.85) return [0x13, ...u32(int(3)), ...u32(int(2))];
      if (r < 0.87) return [pick([0xd1, 0xd3, 0xd4, 0x0a, 0x19])];
      if (r < 0.885) return [0xd0, pick([0x70, 0x6f, 0x69, 0x74, 0x6e, 0x00, 0x01, 0x71, 0x40])];
      if (r < 0.89) return [0x1c, ...uleb(int(2)), pick([0x7f, 0x70, 0x6e])];
      if (r < 0.895) return [0x1f, 0x40, 0];
      if (r < 0.9) return [0xfb, ...uleb(int(31)), ...u32(int(3))];
      if (r < 0.905 && !clean) return [int(256)];
      return [];
    };
    const body = (env: Env): number[] => {
      const groups = int(4);
      const out = [...u32(groups)];
      for (let g = 0; g < groups; g++) {
        out.push(...(rand() < 0.99 ? u32(int(200)) : [0xff, 0xff, 0xff, 0xff, 0x0f]));
        out.push(pick([0x7f, 0x7e, 0x7d, 0x7c, 0x7b, 0x70, 0x6f, 0x69, 0x74, ...(clean ? [] : [0x6e, 0x63, 0x40])]));
      }
      let depth = 0;
      for (let i = 0, n = int(60); i < n; i++) {
        const r = rand();
        if (r < 0.08) {
          out.push(pick([0x02, 0x03, 0x04, 0x06]), ...blockType(env));
          depth++;
        } else if (r < 0.14 && depth > 0) {
          out.push(...(rand() < 0.9 ? [0x0b] : [0x18, ...u32(int(2))]));
          depth--;
        } else out.push(...instruction(env));
      }
      while (depth-- > 0) out.push(0x0b);
      if (clean || rand() < 0.97) out.push(0x0b);
      if (!clean && rand() < 0.02) out.push(0x01);
      return out;
    };
    let accepted = 0;
    let agreedOk = 0;
    for (let n = 0; n < 20_000; n++) {
      clean = rand() < 0.6;
      const env: Env = {
        typeCount: 1 + int(3) + (rand() < 0.2 ? 70 : 0),
        memory64: rand() < 0.1 ? [] : rand() < 0.85 ? [rand() < 0.2] : [false, rand() < 0.5],
        hasDataCount: rand() < 0.5,
      };
      const b = body(env);
      const framed = Uint8Array.from([0x0b, ...b, 0x0b, 0x80, 0xff]);
      if (agree(framed, 1, 1 + b.length, env)) accepted++;
      else if (exact(framed, 1, 1 + b.length, env).ok) agreedOk++;
    }
    // Both ways are exercised: most well-formed bodies go the fast way, the rest (rare instructions) the exact one.
    expect(accepted).toBeGreaterThan(3000);
    expect(agreedOk).toBeGreaterThan(100);
  });

  it('counts a generated module exactly: 683 instructions per body, 40 atomics and 120 SIMD', async () => {
    const { makeLargeModule } = await import('../../../bench/make-module.ts');
    const plain = makeLargeModule(100 * 1569);
    for (const bytes of [plain, inModuleBuffer(plain)]) {
      const info = decodeModule(bytes);
      if (info.kind !== 'module') throw new Error('not a module');
      expect(info.functionCount).toBe(100);
      expect(info.instructions).toEqual({
        ...emptyCounts(),
        total: 68_300,
        atomic: { ...emptyCounts().atomic, rmw: 4000 },
        simd: 12_000,
      });
    }
  });
});

describe('decodeModule on the corpus', () => {
  it.each([
    ['in a plain buffer (the JavaScript fast path)', (b: Uint8Array) => b],
    ['in a module buffer (the WebAssembly scanner)', (b: Uint8Array) => inModuleBuffer(b)],
  ])('returns what it returned before the fast path, for every module and error (digest), %s', (_, place) => {
    const hash = createHash('sha256');
    for (const file of FILES) {
      const bytes = place(corpusFile(file));
      for (const multiMemory of [false, true]) {
        let result: unknown;
        try {
          result = decodeModule(bytes, { multiMemory });
        } catch (e) {
          const err = e as WasmParseError;
          result = { error: err.message, reason: err.reason, offset: err.offset, kind: err.kind };
        }
        hash.update(`${file} ${multiMemory} ${JSON.stringify(result)}\n`);
      }
    }
    // Computed with the decoder before the fast path (every ModuleInfo, counts included, and every error message).
    expect(hash.digest('hex')).toBe(DIGEST);
  });
});

const DIGEST = '575c94666bb6667057e2dd779e658248d13652aceeddce1698187b69332dc84a';
