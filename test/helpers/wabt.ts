// Reads what Debian's wabt says about a module, for differential tests against our decoder.
import { spawnSync } from 'node:child_process';

export interface ObjdumpCounts {
  /** Instruction lines of `wasm-objdump -d` (every instruction, `end` included). */
  total: number;
  /** Lines whose mnemonic contains "atomic" (0xFE instructions). */
  atomic: number;
  /** Lines whose mnemonic is a v128 / lane-shape instruction (0xFD). */
  simd: number;
  /** `wasm-objdump -d FILE | grep -c atomic`, label lines included. */
  grepAtomic: number;
}

const SIMD = /^(v128|i8x16|i16x8|i32x4|i64x2|f32x4|f64x2)\./;

/** Runs `wasm-objdump -d`; undefined when wabt cannot parse the module. */
export function objdumpCounts(file: string): ObjdumpCounts | undefined {
  const r = spawnSync('wasm-objdump', ['-d', file], { encoding: 'utf8', maxBuffer: 1 << 30 });
  if (r.status !== 0) return undefined;
  const counts = { total: 0, atomic: 0, simd: 0, grepAtomic: 0 };
  for (const line of r.stdout.split('\n')) {
    if (line.includes('atomic')) counts.grepAtomic++;
    const bar = line.indexOf('| ');
    if (!/^ [0-9a-f]{6}:/.test(line) || bar < 0) continue;
    const mnemonic = line
      .slice(bar + 2)
      .trim()
      .split(/\s+/)[0];
    if (!mnemonic || mnemonic.startsWith('local[')) continue; // continuation lines and local declarations
    counts.total++;
    if (mnemonic.includes('atomic')) counts.atomic++;
    if (SIMD.test(mnemonic)) counts.simd++;
  }
  return counts;
}

/** `wasm-objdump -x` memory lines, e.g. "memory[0] pages: initial=2 max=2 shared". */
export function objdumpMemories(file: string): string[] | undefined {
  const r = spawnSync('wasm-objdump', ['-x', '-j', 'Memory', '-j', 'Import', file], { encoding: 'utf8' });
  if (r.status !== 0) return undefined;
  return r.stdout
    .split('\n')
    .filter((l) => /memory\[\d+\]/.test(l))
    .map((l) => l.trim());
}
