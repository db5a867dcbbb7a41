import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CORPUS, corpusFile, readTsv } from '../../../test/helpers/corpus.ts';
import { atomicTotal, decodeModule, type ModuleInfo, WasmParseError } from '../src/index.ts';

const manifest = readTsv(join(CORPUS, 'spec', 'MANIFEST.tsv'));

describe('decodeModule on the spec testsuite corpus', () => {
  it('has the corpus', () => {
    expect(manifest.length).toBeGreaterThan(250);
  });

  it.each(manifest.filter((m) => m.expected === 'valid').map((m) => [m.file]))('accepts %s', (file) => {
    expect(
      decodeModule(corpusFile(file), {
        multiMemory: file.includes('threads-imports') || file.includes('threads-memory'),
      }).kind,
    ).toBe('module');
  });

  it.each(
    manifest.filter((m) => m.expected !== 'valid').map((m) => [m.file, m.expected, m.expected_error_text]),
  )('rejects %s (%s: %s) with a WasmParseError', (file) => {
    let error: unknown;
    try {
      decodeModule(corpusFile(file));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(WasmParseError);
    expect((error as WasmParseError).offset).toBeGreaterThanOrEqual(0);
  });
});

// SOURCES.tsv columns were computed with wabt 1.0.32 (wasm-objdump) by whoever built the corpus.
const sources = readTsv(join(CORPUS, 'SOURCES.tsv')).filter((s) => s.filename.startsWith('binaries/'));

describe('decodeModule on third-party binaries agrees with wabt (SOURCES.tsv)', () => {
  const parsed = sources.filter(
    (s) => s.objdump_x_ok === 'yes' && s.wasm_validate_enable_all === 'valid' && /^\d+$/.test(s.atomic_opcodes),
  );
  it.each(parsed.map((s) => [s.filename, s]))('%s', (file, s) => {
    const info = decodeModule(corpusFile(file as string)) as ModuleInfo;
    const row = s as Record<string, string>;
    expect(info.kind).toBe('module');
    expect(atomicTotal(info.instructions.atomic)).toBe(Number(row.atomic_opcodes));
    expect(info.instructions.simd + info.instructions.relaxedSimd).toBe(Number(row.simd_opcodes));
    expect(info.memories.some((m) => m.limits.shared)).toBe(row.shared_memory === 'yes');
    expect(
      info.imports.filter((i) => i.module === 'wasi_snapshot_preview1' || i.module === 'wasi_unstable').length,
    ).toBe(Number(row.wasi_p1_imports));
    expect(info.imports.some((i) => i.module === 'wasi' && i.name === 'thread-spawn')).toBe(
      row.wasi_thread_spawn === 'yes',
    );
    const tf = info.targetFeatures?.map((t) => `${t.prefix}${t.name}`).join(',') ?? 'none';
    expect(tf).toBe(row.target_features);
  });

  it('recognises component binaries without decoding them', () => {
    const components = sources.filter((s) => s.header.startsWith('component'));
    expect(components.length).toBeGreaterThan(0);
    for (const s of components) expect(decodeModule(corpusFile(s.filename)).kind).toBe('component');
  });

  it('rejects every binary wabt cannot parse, except where wabt is wrong about a valid module', () => {
    for (const f of readdirSync(join(CORPUS, 'binaries')).filter((f) => /malformed|past-end|bad-datacount/.test(f))) {
      expect(() => decodeModule(corpusFile(`binaries/${f}`)), f).toThrow(WasmParseError);
    }
  });
});

describe('decodeModule errors', () => {
  it('names the offset and what was expected', () => {
    expect(() => decodeModule(Uint8Array.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 0x0e, 0]))).toThrow(
      /malformed section id at byte offset 8 \(0x8\): expected a section id 0-13/,
    );
  });

  it('rejects an unknown opcode in a function body', () => {
    // type () -> (); one function; body: 0 locals, 0xff (illegal), end
    const bytes = [0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 1, 4, 1, 0x60, 0, 0, 3, 2, 1, 0, 10, 5, 1, 3, 0, 0xff, 0x0b];
    expect(() => decodeModule(Uint8Array.from(bytes))).toThrow(/illegal opcode ff at byte offset 23/);
  });

  it('bounds a hostile vector count by the bytes left', () => {
    // type section claiming 2^32-1 types in 5 bytes
    const bytes = [0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 1, 5, 0xff, 0xff, 0xff, 0xff, 0x0f];
    const started = performance.now();
    expect(() => decodeModule(Uint8Array.from(bytes))).toThrow(/unexpected end/);
    expect(performance.now() - started).toBeLessThan(1000);
  });
});
