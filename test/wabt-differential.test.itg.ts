// Issue 2/4 differential check: our decoder against Debian's wabt on every module wabt can parse.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { atomicTotal, decodeModule, type ModuleInfo } from '@wasm-build/wasm';
import { describe, expect, it } from 'vitest';
import { CORPUS } from './helpers/corpus.ts';
import { HAVE, requireTools } from './helpers/tools.ts';
import { objdumpCounts } from './helpers/wabt.ts';

const run = requireTools('wabt differential tests', {
  'wasm-objdump (apt wabt)': HAVE.objdump,
  'wat2wasm (apt wabt)': HAVE.wat2wasm,
});

function fixtureModules(): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'wat-'));
  const out = join(dir, 'shared-memory-ops.wasm');
  const r = spawnSync('wat2wasm', [
    '--enable-threads',
    join(import.meta.dirname, 'fixtures', 'shared-memory-ops.wat'),
    '-o',
    out,
  ]);
  if (r.status !== 0) throw new Error(`wat2wasm failed: ${r.stderr}`);
  return [out];
}

describe.runIf(run)('decoder vs wasm-objdump -d', () => {
  const files = [
    ...['binaries', 'spec/valid'].flatMap((d) => readdirSync(join(CORPUS, d)).map((f) => join(CORPUS, d, f))),
    ...fixtureModules(),
  ];
  const parsed = files
    .map((f) => ({ f, o: objdumpCounts(f) }))
    .filter((x): x is { f: string; o: NonNullable<typeof x.o> } => !!x.o)
    .filter((x) => {
      // wabt prints what it can of some modules the validator rejects (fuzz PoCs); compare valid modules only.
      return spawnSync('wasm-validate', ['--enable-all', x.f]).status === 0;
    });

  it('compares a meaningful number of modules', () => {
    expect(parsed.length).toBeGreaterThan(60);
  });

  it.each(
    parsed.map((x) => [x.f.slice(x.f.lastIndexOf('/') + 1), x]),
  )('%s: instruction, atomic and SIMD counts equal objdump', (_, x) => {
    const { f, o } = x as (typeof parsed)[number];
    const info = decodeModule(readFileSync(f), { multiMemory: true }) as ModuleInfo;
    expect(info.kind).toBe('module');
    expect({
      total: info.instructions.total,
      atomic: atomicTotal(info.instructions.atomic),
      simd: info.instructions.simd + info.instructions.relaxedSimd,
    }).toEqual({
      total: o.total,
      atomic: o.atomic,
      simd: o.simd,
    });
  });

  it('the wat2wasm fixture: atomic count equals `wasm-objdump -d | grep -c atomic`', () => {
    const [wasm] = fixtureModules();
    const info = decodeModule(readFileSync(wasm)) as ModuleInfo;
    expect(info.targetFeatures).toBeUndefined();
    expect(atomicTotal(info.instructions.atomic)).toBe(objdumpCounts(wasm)!.grepAtomic);
    expect(atomicTotal(info.instructions.atomic)).toBe(7);
  });
});
