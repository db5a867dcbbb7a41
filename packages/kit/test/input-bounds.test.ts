// Paths given as input are checked before use against what Linux accepts (ENAMETOOLONG), and whole numbers against
// what a JS number holds exactly.
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { NAME_MAX_BYTES, PATH_MAX_BYTES, pathProblem, readInputs } from '../src/index.ts';

describe('pathProblem', () => {
  it.each([
    ['.wasm-build/oci-layout', undefined],
    [`a/${'n'.repeat(NAME_MAX_BYTES)}/b`, undefined],
    [`${'d/'.repeat(2047)}x`, undefined],
    ['', 'expected a path'],
    ['a\0b', 'a path cannot hold a NUL byte'],
    [`a/${'n'.repeat(256)}`, `path component "${'n'.repeat(24)}…" is 256 bytes long; at most 255 (NAME_MAX)`],
    // 128 two-byte characters: 256 bytes, as the kernel counts them.
    [`${'é'.repeat(128)}`, `path component "${'é'.repeat(24)}…" is 256 bytes long; at most 255 (NAME_MAX)`],
    [`${'d/'.repeat(2048)}`, `path is 4096 bytes long; at most ${PATH_MAX_BYTES} (PATH_MAX)`],
  ])('%j', (path, want) => {
    expect(pathProblem(path)).toBe(want);
  });
});

describe('readInputs numbers', () => {
  const schema = z.object({ timeout: z.number().int().optional() });
  const read = (v: string) => readInputs(schema, { timeout: ['timeout', 'number'] }, () => v);

  it('refuses a whole number a JS number cannot hold exactly, naming the input', () => {
    expect(read('900719925474099')).toEqual({ timeout: 900719925474099 });
    expect(() => read('9007199254740991')).toThrow('expected a whole number (at most 15 digits)');
    expect(() => read('99999999999999999999')).toThrow(
      'Invalid input "timeout": "99999999999999999999": expected a whole number (at most 15 digits)',
    );
  });
});
