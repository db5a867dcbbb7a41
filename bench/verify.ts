// bench/verify: the whole verify, `await verifyBinary(bytes)` (decode, feature report, validation by V8's
// WebAssembly.validate, checks, runtime fit), against two wabt peers on the same modules, measured in one run:
// `wasm-objdump -d` (decodes and disassembles every body) and `wasm-validate --enable-all` (validates every body).
// Modules: a generated ~6 MB module (make-module.ts; wabt and V8 must both accept it) and the corpus binaries
// wasm-validate accepts. Each figure is the best of N runs: ours in-process after a JIT warm-up (which also runs
// the engine's one-off feature detection), each peer as a whole process (spawnSync, so process start is included).
// Ratios are peer time / our time (above 1: ours is faster). Run: npm run bench:verify
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { verifyBinary } from '@wasm-build/wasm';
import { makeLargeModule } from './make-module.ts';

for (const tool of ['wasm-objdump', 'wasm-validate']) {
  if (spawnSync(tool, ['--version']).status !== 0) {
    console.error(`bench/verify needs ${tool} (apt-get install wabt)`);
    process.exit(1);
  }
}

const CORPUS = resolve(import.meta.dirname, '..', '..', 'shared', 'corpus', 'binaries');
const dir = mkdtempSync(join(tmpdir(), 'bench-verify-'));
const large = join(dir, 'large-generated.wasm');
writeFileSync(large, makeLargeModule(6 * 1024 * 1024));
const wabtValidates = (f: string) => spawnSync('wasm-validate', ['--enable-all', f]).status === 0;
if (!wabtValidates(large)) {
  console.error('bench/verify: wasm-validate --enable-all rejects the generated module (fix bench/make-module.ts)');
  process.exit(1);
}

const files = [
  large,
  ...readdirSync(CORPUS)
    .map((f) => join(CORPUS, f))
    .filter(wabtValidates),
].sort((a, b) => statSync(b).size - statSync(a).size);

async function best(runs: number, fn: () => unknown): Promise<number> {
  let min = Number.POSITIVE_INFINITY;
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await fn();
    min = Math.min(min, performance.now() - t);
  }
  return min;
}

function peer(tool: string, args: string[], f: string): () => void {
  return () => {
    const r = spawnSync(tool, [...args, f], { stdio: ['ignore', 'ignore', 'ignore'] });
    if (r.status !== 0) throw new Error(`${tool} ${args.join(' ')} failed on ${f}`);
  };
}

const verdict = (await verifyBinary(readFileSync(large))).validity;
if (verdict.status !== 'valid') {
  console.error(`bench/verify: V8 does not accept the generated module: ${verdict.status} ${verdict.message ?? ''}`);
  process.exit(1);
}

let ours = 0;
let objdump = 0;
let validate = 0;
let bytes = 0;
const x = (peerMs: number, oursMs: number) => `${(peerMs / oursMs).toFixed(1)}×`.padStart(14);
console.log(
  'module                                          bytes   verify ms  objdump -d ms  validate ms  objdump/ours  validate/ours',
);
for (const f of files) {
  const buf = readFileSync(f);
  await best(2, () => verifyBinary(buf)); // warm up the JIT (and the engine's feature detection, once per process)
  const a = await best(5, () => verifyBinary(buf));
  const b = await best(3, peer('wasm-objdump', ['-d'], f));
  const c = await best(3, peer('wasm-validate', ['--enable-all'], f));
  ours += a;
  objdump += b;
  validate += c;
  bytes += buf.length;
  const name = f.slice(f.lastIndexOf('/') + 1).slice(0, 44);
  console.log(
    `${name.padEnd(44)} ${String(buf.length).padStart(9)} ${a.toFixed(2).padStart(11)} ${b.toFixed(2).padStart(14)} ${c.toFixed(2).padStart(12)}${x(b, a)}${x(c, a)}`,
  );
}
const mbps = (ms: number) => (bytes / 1e6 / (ms / 1000)).toFixed(1);
console.log(
  `\ntotal ${bytes} bytes in ${files.length} modules: verify ${mbps(ours)} MB/s, wasm-objdump -d ${mbps(objdump)} MB/s, ` +
    `wasm-validate --enable-all ${mbps(validate)} MB/s`,
);
console.log(
  `ratio wasm-objdump/ours: ${(objdump / ours).toFixed(1)}× (target: at least 3×); ` +
    `ratio wasm-validate/ours: ${(validate / ours).toFixed(1)}×; the peers' times include process start`,
);
