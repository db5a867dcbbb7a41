// `wasm-build verify FILE` on a file of 16 MiB or more goes through windows of its code section (verifySource); it must
// answer exactly as verify of the whole file does, valid or not.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifySource } from '@wasm-build/wasm';
import { afterAll, describe, expect, it } from 'vitest';
import { makeLargeModule } from '../../../bench/make-module.ts';
import { verifyModule, verifyModuleFile } from '../src/steps/verify.ts';
import { readModule } from '../src/verify-bytes.ts';

const dir = mkdtempSync(join(tmpdir(), 'verify-file-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const FIX = 'Pass the path of a .wasm file';

describe('verifyModuleFile', () => {
  const bytes = makeLargeModule(17 * 1024 * 1024);

  it('gives the whole file’s document for a valid module above 16 MiB', async () => {
    const file = join(dir, 'large.wasm');
    writeFileSync(file, bytes);
    const doc = await verifyModuleFile(file, { forbid: ['simd'] }, FIX);
    expect(doc.validity.status).toBe('valid');
    expect(doc.checks.find((c) => c.name === 'forbid simd')?.status).toBe('fail');
    expect(doc).toEqual(await verifyModule(readModule(file, FIX), file, { forbid: ['simd'] }));
    // The file is one that goes through windows: the windowed verify itself answers for it.
    const source = {
      size: bytes.length,
      read: (into: Uint8Array, at: number) => {
        const part = bytes.subarray(at, at + into.length);
        into.set(part);
        return part.length;
      },
    };
    expect(await verifySource(source, { forbid: ['simd'] }, file)).toEqual(doc);
  });

  it('falls back to the whole file for an invalid one: V8’s own message and offset', async () => {
    const bad = Uint8Array.from(bytes);
    // The first i32.add of the last body becomes i64.add: valid to our decoder, a type error to V8.
    const at = bad.indexOf(0x6a, bad.length - 1500);
    bad[at] = 0x7c;
    const file = join(dir, 'invalid.wasm');
    writeFileSync(file, bad);
    const doc = await verifyModuleFile(file, {}, FIX);
    expect(doc.validity.status).toBe('invalid');
    // V8 names the instruction's place in the file (a window's own offsets would be millions of bytes lower).
    expect(Math.abs((doc.validity.offset ?? 0) - at)).toBeLessThanOrEqual(4);
    expect(doc).toEqual(await verifyModule(readModule(file, FIX), file, {}));
  });

  it('refuses a missing file as readModule does', async () => {
    await expect(verifyModuleFile(join(dir, 'none.wasm'), {}, FIX)).rejects.toThrow(/Module not found/);
  });
});
