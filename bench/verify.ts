// bench/verify: verify's decode+report throughput against `wasm-objdump -d` (wabt) on the same modules, measured
// in one run. Run: npm run bench:verify
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildReport, decodeModule } from '@wasm-build/wasm';
import { makeLargeModule } from './make-module.ts';

const CORPUS = resolve(import.meta.dirname, '..', '..', 'shared', 'corpus', 'binaries');
const dir = mkdtempSync(join(tmpdir(), 'bench-verify-'));
const large = join(dir, 'large-generated.wasm');
writeFileSync(large, makeLargeModule(6 * 1024 * 1024));

const files = [
  large,
  ...readdirSync(CORPUS)
    .map((f) => join(CORPUS, f))
    .filter((f) => spawnSync('wasm-validate', ['--enable-all', f]).status === 0),
].sort((a, b) => statSync(b).size - statSync(a).size);

function best(runs: number, fn: () => void): number {
  let min = Number.POSITIVE_INFINITY;
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    fn();
    min = Math.min(min, performance.now() - t);
  }
  return min;
}

if (spawnSync('wasm-objdump', ['--version']).status !== 0) {
  console.error('bench/verify needs wasm-objdump (apt-get install wabt)');
  process.exit(1);
}
let ours = 0;
let theirs = 0;
let bytes = 0;
console.log('module                                          bytes   verify ms  objdump -d ms  ratio');
for (const f of files) {
  const buf = readFileSync(f);
  best(2, () => buildReport(decodeModule(buf))); // warm up the JIT
  const a = best(5, () => buildReport(decodeModule(buf)));
  const b = best(3, () => {
    const r = spawnSync('wasm-objdump', ['-d', f], { stdio: ['ignore', 'ignore', 'ignore'] });
    if (r.status !== 0) throw new Error(`wasm-objdump failed on ${f}`);
  });
  ours += a;
  theirs += b;
  bytes += buf.length;
  const name = f.slice(f.lastIndexOf('/') + 1).slice(0, 44);
  console.log(
    `${name.padEnd(44)} ${String(buf.length).padStart(9)} ${a.toFixed(2).padStart(10)} ${b.toFixed(2).padStart(14)} ${(b / a).toFixed(1).padStart(6)}×`,
  );
}
const mbps = (ms: number) => (bytes / 1e6 / (ms / 1000)).toFixed(1);
console.log(
  `\ntotal ${bytes} bytes in ${files.length} modules: verify ${mbps(ours)} MB/s, wasm-objdump -d ${mbps(theirs)} MB/s`,
);
console.log(
  `verify is ${(theirs / ours).toFixed(1)}× faster than wasm-objdump -d (target: at least 3×); objdump includes process start`,
);
