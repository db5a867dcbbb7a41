// Verify a window of the code section at a time (windowed.ts) held to verify of the whole module: on every corpus
// module and on generated ones, whatever it answers is exactly what verifyBinary answers, and it answers only for
// valid modules, reading no more than a window of code at a time.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { makeLargeModule } from '../../../bench/make-module.ts';
import { CORPUS } from '../../../test/helpers/corpus.ts';
import {
  decodeModule,
  decodeValidateWindowed,
  defaultWindow,
  type ModuleSource,
  verifyBinary,
  verifySource,
  WasmParseError,
} from '../src/index.ts';

/** A source over bytes in memory that records the length of every read. */
function memorySource(bytes: Uint8Array, size = bytes.length): ModuleSource & { reads: number[] } {
  const reads: number[] = [];
  return {
    size,
    reads,
    read(into, position) {
      reads.push(into.length);
      const part = bytes.subarray(position, position + into.length);
      into.set(part);
      return part.length;
    },
  };
}

/** verifyBinary's answer on the whole bytes: the document, or the decoder's error message. */
async function whole(bytes: Uint8Array, name: string): Promise<unknown> {
  try {
    return await verifyBinary(bytes, {}, name);
  } catch (e) {
    if (e instanceof WasmParseError) return `WasmParseError: ${e.message}`;
    throw e;
  }
}

const corpusFiles = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? corpusFiles(join(dir, d.name)) : d.name.endsWith('.wasm') ? [join(dir, d.name)] : [],
  );

// One body of bench/make-module.ts's module: 1567 bytes, its entry 1569 with its size.
const ENTRY = 1569;

describe('verify a window of the code section at a time', () => {
  const files = corpusFiles(CORPUS);

  it('answers as verifyBinary does on every corpus module it takes, and takes only valid ones', async () => {
    expect(files.length).toBeGreaterThanOrEqual(300);
    const taken = new Set<string>();
    let validWhole = 0;
    for (const file of files) {
      const bytes = readFileSync(file);
      const name = relative(CORPUS, file);
      const expected = await whole(bytes, name);
      const valid = typeof expected === 'object' && (expected as { validity: { status: string } }).validity.status;
      if (valid === 'valid') validWhole++;
      for (let window = 8; window <= 65536; window *= 2) {
        const source = memorySource(bytes);
        const doc = await verifySource(source, {}, name, { window });
        if (doc === undefined) continue;
        taken.add(name);
        expect({ name, window, doc }).toEqual({ name, window, doc: expected });
        expect(Math.max(...source.reads), `${name}: no read larger than the window or the other sections`).toBeLessThan(
          bytes.length,
        );
      }
    }
    // Not vacuous: many modules go through windows (the others are too small, or a body is larger than the window).
    // Not vacuous: of the 23 valid corpus modules with two functions or more, those whose other sections are smaller
    // than their code go through windows (measured: 14; the others are a few bytes, or mostly debug sections).
    expect(validWhole).toBeGreaterThan(80);
    expect(taken.size).toBeGreaterThanOrEqual(12);
    takenFiles.push(...taken);
  });

  const takenFiles: string[] = [];
  it('never says valid for a mutated module that verifyBinary does not, and answers as it does (1-byte changes)', async () => {
    expect(takenFiles.length).toBeGreaterThanOrEqual(12);
    let seed = 0x2545f491;
    const random = () => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) / 2 ** 32;
    };
    let answered = 0;
    let declined = 0;
    for (const name of takenFiles) {
      const original = readFileSync(join(CORPUS, name));
      const info = decodeModule(original);
      const code = info.kind === 'module' ? info.sections.find((s) => s.id === 10) : undefined;
      if (!code) throw new Error(`${name}: no code section`);
      for (let i = 0; i < 80; i++) {
        const bytes = Uint8Array.from(original);
        // Every other one inside the code section, the others anywhere (the other sections go into every window).
        const at = i % 2 ? code.offset + Math.floor(random() * code.size) : Math.floor(random() * bytes.length);
        bytes[at] = Math.floor(random() * 256);
        const window = Math.max(64, Math.floor(code.size / (2 + Math.floor(random() * 6))));
        const doc = await verifySource(memorySource(bytes), {}, name, { window });
        if (doc === undefined) {
          declined++;
          continue;
        }
        answered++;
        expect({ name, i, doc }).toEqual({ name, i, doc: await whole(bytes, name) });
      }
    }
    // Both kinds happen: mutations that keep the module valid, and ones that break it.
    expect(answered).toBeGreaterThan(20);
    expect(declined).toBeGreaterThan(20);
  });

  it('counts a generated module across windows as the whole decoder does, sections after the code included', () => {
    const bytes = makeLargeModule(300 * ENTRY);
    // A data count would need a data section; a custom section after the code section moves with it.
    const custom = Uint8Array.from([0, 6, 4, 0x74, 0x65, 0x73, 0x74, 0x2a]);
    const module = new Uint8Array(bytes.length + custom.length);
    module.set(bytes);
    module.set(custom, bytes.length);
    const source = memorySource(module);
    const info = decodeValidateWindowed(source, { window: 40 * ENTRY + 7 });
    expect(info).toEqual(decodeModule(module));
    expect(info?.instructions.total).toBe(300 * 683);
    expect(info?.sections.at(-1)).toEqual({ id: 0, name: 'test', offset: bytes.length + 2, size: 6 });
    // The code was read a window at a time: no read took more than the window.
    expect(Math.max(...source.reads)).toBeLessThanOrEqual(40 * ENTRY + 7);
  });

  it('leaves a malformed target_features section after the code to the whole decoder, whose offsets are the file’s', async () => {
    const bytes = makeLargeModule(50 * ENTRY);
    // "target_features" with one entry whose prefix is '?': malformed, reported with its offset, and ignored (§5.5.3).
    const name = [...Buffer.from('target_features')];
    const contents = [name.length, ...name, 1, 0x3f, 1, 0x61];
    const module = Buffer.concat([bytes, Uint8Array.from([0, contents.length, ...contents])]);
    const expected = await verifyBinary(module, {}, 'm');
    expect(expected.validity.status).toBe('valid');
    expect(expected.targetFeaturesError).toBe(
      `malformed target_features entry at byte offset ${module.length - 3} (0x${(module.length - 3).toString(16)}): expected a prefix '+', '-' or '='`,
    );
    expect(await verifySource(memorySource(module), {}, 'm', { window: 10 * ENTRY })).toBeUndefined();
  });

  it('declines a module one of whose bodies V8 rejects, though our decoder reads it', () => {
    const bytes = makeLargeModule(100 * ENTRY);
    // In body 70, the first i32.add (0x6a after `local.get 0; i32.const 7`) becomes i64.add: a type error only a
    // complete validator finds.
    const body70 = bytes.length - 30 * ENTRY;
    const at = bytes.indexOf(0x6a, body70);
    expect(bytes[at - 2]).toBe(0x41);
    bytes[at] = 0x7c;
    expect(() => decodeModule(bytes)).not.toThrow();
    expect(WebAssembly.validate(bytes as Uint8Array<ArrayBuffer>)).toBe(false);
    expect(decodeValidateWindowed(memorySource(bytes), { window: 10 * ENTRY })).toBeUndefined();
  });

  it('declines what it cannot take whole-free: a body larger than the window, trailing bytes, a short read', () => {
    const bytes = makeLargeModule(50 * ENTRY);
    expect(decodeValidateWindowed(memorySource(bytes), { window: 10 * ENTRY })).toBeDefined();
    expect(decodeValidateWindowed(memorySource(bytes), { window: ENTRY - 1 })).toBeUndefined();
    // The code section too small for a window: read whole.
    expect(decodeValidateWindowed(memorySource(bytes), { window: 60 * ENTRY })).toBeUndefined();
    // The file is shorter than it says (changed while read).
    expect(decodeValidateWindowed(memorySource(bytes.subarray(0, bytes.length - 100), bytes.length))).toBeUndefined();
    // One byte more in the code section (the last section) than its entries hold.
    const info = decodeModule(bytes);
    const code = info.kind === 'module' ? info.sections.find((s) => s.id === 10) : undefined;
    if (!code) throw new Error('no code section');
    const extra = new Uint8Array(bytes.length + 1);
    extra.set(bytes);
    const len = Math.ceil(Math.log2(code.size + 1) / 7); // the size's LEB128 bytes, before the contents
    let v = code.size + 1; // rewritten in those bytes, padded
    for (let i = code.offset - len; i < code.offset; i++, v = Math.floor(v / 128)) {
      extra[i] = (v & 0x7f) | (i < code.offset - 1 ? 0x80 : 0);
    }
    expect(() => decodeModule(extra)).toThrow('section size mismatch');
    expect(decodeValidateWindowed(memorySource(extra), { window: 10 * ENTRY })).toBeUndefined();
    // A component, and a module above V8's 1 GiB limit.
    const component = Uint8Array.from([0, 0x61, 0x73, 0x6d, 0x0d, 0, 1, 0]);
    expect(decodeValidateWindowed(memorySource(component), { window: 1 })).toBeUndefined();
    expect(decodeValidateWindowed(memorySource(bytes, 2 ** 30 + 1), { window: 10 * ENTRY })).toBeUndefined();
  });

  it('makes at most 64 windows, whatever window is asked for (each holds every function)', () => {
    const bytes = makeLargeModule(500 * ENTRY);
    const source = memorySource(bytes);
    expect(decodeValidateWindowed(source, { window: ENTRY })).toEqual(decodeModule(bytes));
    // The section headers (4), the code count, the sections before the code, then a window and the (empty) rest after
    // the code for each window and the one of stubs only: 500 windows of one body would be 1000 reads.
    expect(source.reads.length).toBeLessThanOrEqual(4 + 2 + 2 * 65);
  });

  it('validates the whole module when Node is given another module size limit (V8 --wasm-max-module-size)', () => {
    const bytes = makeLargeModule(50 * ENTRY);
    expect(decodeValidateWindowed(memorySource(bytes), { window: 10 * ENTRY })).toBeDefined();
    vi.stubEnv('NODE_OPTIONS', '--max-old-space-size=512 --wasm-max-module-size=60000');
    onTestFinished(() => {
      vi.unstubAllEnvs();
    });
    expect(decodeValidateWindowed(memorySource(bytes), { window: 10 * ENTRY })).toBeUndefined();
  });

  it('takes a window of at least 16 MiB, and a quarter of a larger code section', () => {
    expect(defaultWindow(1000)).toBe(16 * 1024 * 1024);
    expect(defaultWindow(400 * 1024 * 1024)).toBe(100 * 1024 * 1024);
  });
});
