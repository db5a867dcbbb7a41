// Seeded mutation fuzz over the corpus: whatever the bytes, decodeModule either returns or throws WasmParseError,
// and no input takes long (bounded work on hostile input). Seed and counts are printed so a failure can be replayed.
// Then the same mutations in a module buffer (the WebAssembly scanner) against a plain buffer (the JavaScript one):
// the same result or the same error, offset included.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { rng } from '../../../test/helpers/child.ts';
import { CORPUS, corpusFile } from '../../../test/helpers/corpus.ts';
import { moduleBuffer } from '../src/code-wasm.ts';
import { decodeModule, WasmParseError } from '../src/index.ts';

const SEED = Number(process.env.FUZZ_SEED ?? 0x5eed);
const INPUTS = Number(process.env.FUZZ_INPUTS ?? 20_000);

const MUTATIONS = ['flip', 'set', 'leb', 'truncate', 'delete', 'insert', 'splice'] as const;

function mutate(input: Uint8Array, rand: () => number, corpus: Uint8Array[]): { bytes: Uint8Array; kind: string } {
  const at = () => Math.floor(rand() * input.length);
  const kind = MUTATIONS[Math.floor(rand() * MUTATIONS.length)];
  const b = Uint8Array.from(input);
  switch (kind) {
    case 'flip': {
      for (let i = 0, n = 1 + Math.floor(rand() * 4); i < n; i++) b[at()] ^= 1 << Math.floor(rand() * 8);
      return { bytes: b, kind };
    }
    case 'set': // interesting bytes: prefixes, end, LEB continuation, extremes
      b[at()] = [0x00, 0x0b, 0x7f, 0x80, 0xff, 0xfe, 0xfd, 0xfc, 0xfb, 0x40][Math.floor(rand() * 10)];
      return { bytes: b, kind };
    case 'leb': {
      const i = at();
      for (let k = i; k < Math.min(b.length, i + 1 + Math.floor(rand() * 10)); k++) b[k] = 0xff;
      return { bytes: b, kind };
    }
    case 'truncate':
      return { bytes: b.subarray(0, at()), kind };
    case 'delete': {
      const i = at();
      return { bytes: Uint8Array.from([...b.subarray(0, i), ...b.subarray(i + 1 + Math.floor(rand() * 16))]), kind };
    }
    case 'insert': {
      const i = at();
      const junk = Array.from({ length: 1 + Math.floor(rand() * 8) }, () => Math.floor(rand() * 256));
      return { bytes: Uint8Array.from([...b.subarray(0, i), ...junk, ...b.subarray(i)]), kind };
    }
    default: {
      const other = corpus[Math.floor(rand() * corpus.length)];
      const j = Math.floor(rand() * other.length);
      return { bytes: Uint8Array.from([...b.subarray(0, at()), ...other.subarray(j, j + 64)]), kind };
    }
  }
}

describe('decodeModule under mutation', () => {
  const seeds = [
    ...readdirSync(join(CORPUS, 'binaries')).map((f) => corpusFile(`binaries/${f}`)),
    ...readdirSync(join(CORPUS, 'spec', 'valid')).map((f) => corpusFile(`spec/valid/${f}`)),
  ].filter((b) => b.length > 8);

  // 20 000 decodes take about 17 s alone on a 2-core machine: the whole run gets room, each input keeps its 50 ms.
  it(`survives ${INPUTS} seeded mutations with only WasmParseError and bounded time per input`, {
    timeout: 120_000,
  }, () => {
    const rand = rng(SEED);
    let accepted = 0;
    let rejected = 0;
    let slowest = 0;
    const byKind: Record<string, number> = {};
    for (let n = 0; n < INPUTS; n++) {
      const seed = seeds[Math.floor(rand() * seeds.length)];
      const { bytes, kind } = mutate(seed, rand, seeds);
      byKind[kind] = (byKind[kind] ?? 0) + 1;
      const t = performance.now();
      try {
        decodeModule(bytes, { multiMemory: true });
        accepted++;
      } catch (e) {
        // decodeModule turns an internal fault into "internal decoder error": a crash for the fuzz's purposes.
        if (!(e instanceof WasmParseError) || e.message.startsWith('internal decoder error')) {
          throw new Error(
            `input ${n} (seed ${SEED}, mutation ${kind}) threw ${e instanceof Error ? e.stack : String(e)}`,
          );
        }
        rejected++;
      }
      slowest = Math.max(slowest, performance.now() - t);
    }
    console.log(
      `fuzz: seed 0x${SEED.toString(16)}, ${INPUTS} inputs from ${seeds.length} corpus modules: ${accepted} accepted, ${rejected} rejected with WasmParseError; slowest ${slowest.toFixed(2)} ms; mutations ${JSON.stringify(byKind)}`,
    );
    expect(accepted + rejected).toBe(INPUTS);
    expect(rejected).toBeGreaterThan(INPUTS / 2);
    expect(slowest).toBeLessThan(50);
  });

  it(`decodes ${INPUTS / 4} seeded mutations in a module buffer exactly as in a plain buffer`, {
    timeout: 120_000,
  }, () => {
    const rand = rng(SEED ^ 0xa5a5);
    const scratch = moduleBuffer(1 << 22) as Uint8Array;
    const outcome = (bytes: Uint8Array) => {
      try {
        return decodeModule(bytes, { multiMemory: true });
      } catch (e) {
        const err = e as WasmParseError;
        return { error: err.message, offset: err.offset, kind: err.kind };
      }
    };
    for (let n = 0; n < INPUTS / 4; n++) {
      const { bytes } = mutate(seeds[Math.floor(rand() * seeds.length)], rand, seeds);
      const view = scratch.subarray(0, bytes.length);
      view.set(bytes);
      expect(outcome(view), `input ${n} (seed ${SEED})`).toEqual(outcome(bytes));
    }
  });
});
