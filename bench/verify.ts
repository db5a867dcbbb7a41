// bench/verify: the whole verify, `await verifyBinary(bytes)` (our decode and feature report, validation by V8's
// WebAssembly.validate, checks, runtime fit), on a generated module (make-module.ts; 50 MB, or BENCH_MB megabytes),
// against, measured in the same run:
// - V8's WebAssembly.validate single-threaded: a child `node --single-threaded` (V8's flag: ValidateFunctions in
//   src/wasm/module-decoder.cc then validates the bodies on the calling thread instead of a platform job; without
//   it, validation is spread over V8's worker threads). The child reads the file, validates once to warm up, then
//   times RUNS validations; its CPU/wall ratio is printed as the evidence that it ran on one thread.
// - V8's WebAssembly.validate as Node runs it by default (in this process; verifyBinary itself runs it so).
// - wabt's `wasm-objdump -d` (decodes and disassembles every body) and `wasm-validate --enable-all` (validates
//   every body), each one whole process (start included), once on the large module: they take seconds.
// Ours and V8 are best of RUNS after a JIT warm-up, in ROUNDS interleaved rounds (less exposed to load from other
// processes). Ratios are peer time / our time (above 1: ours is faster). Then the corpus table (the binaries
// wasm-validate accepts) and the peak RSS of `wasm-build verify` on the module.
// Run: npm run bench:verify (BENCH_MB=5 for a quick run)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildReport, decodeModule, verifyBinary } from '@wasm-build/wasm';
import { makeLargeModule } from './make-module.ts';

const MB = Number(process.env.BENCH_MB ?? 50);
const ROUNDS = 5;
const RUNS = 3;

for (const tool of ['wasm-objdump', 'wasm-validate']) {
  if (spawnSync(tool, ['--version']).status !== 0) {
    console.error(`bench/verify needs ${tool} (apt-get install wabt)`);
    process.exit(1);
  }
}

const ROOT = resolve(import.meta.dirname, '..');
const CORPUS = resolve(ROOT, '..', 'shared', 'corpus', 'binaries');
const dir = mkdtempSync(join(tmpdir(), 'bench-verify-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
const large = join(dir, 'large-generated.wasm');
writeFileSync(large, makeLargeModule(MB * 1024 * 1024));
const bytes = readFileSync(large);
const mb = (n: number, ms: number) => n / 1e6 / (ms / 1000);

const verdict = await verifyBinary(bytes);
if (verdict.validity.status !== 'valid') {
  console.error(`bench/verify: V8 does not accept the generated module: ${verdict.validity.message ?? ''}`);
  process.exit(1);
}

/** Best wall time of `runs` calls, ms, with the CPU time (all threads of this process) of that call. */
async function best(runs: number, fn: () => unknown): Promise<{ ms: number; cpu: number }> {
  let out = { ms: Number.POSITIVE_INFINITY, cpu: 0 };
  for (let i = 0; i < runs; i++) {
    const c = process.cpuUsage();
    const t = performance.now();
    await fn();
    const ms = performance.now() - t;
    const used = process.cpuUsage(c);
    if (ms < out.ms) out = { ms, cpu: (used.user + used.system) / 1000 };
  }
  return out;
}
const better = (a: { ms: number; cpu: number }, b: { ms: number; cpu: number }) => (b.ms < a.ms ? b : a);

// The single-threaded V8 validation, in a child with V8's --single-threaded flag.
const CHILD = `
const bytes = require('node:fs').readFileSync(process.env.BENCH_FILE);
if (!WebAssembly.validate(bytes)) process.exit(3);
let out = { ms: Infinity, cpu: 0 };
for (let i = 0; i < ${RUNS}; i++) {
  const c = process.cpuUsage();
  const t = performance.now();
  WebAssembly.validate(bytes);
  const ms = performance.now() - t;
  const u = process.cpuUsage(c);
  if (ms < out.ms) out = { ms, cpu: (u.user + u.system) / 1000 };
}
console.log(JSON.stringify(out));`;
function v8SingleThreaded(): { ms: number; cpu: number } {
  const r = spawnSync(process.execPath, ['--single-threaded', '-e', CHILD], {
    env: { ...process.env, BENCH_FILE: large },
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`node --single-threaded validation failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout);
}

const INF = { ms: Number.POSITIVE_INFINITY, cpu: 0 };
let ours = INF;
let decodeOnly = INF;
let v8Single = INF;
let v8Default = INF;
await best(2, () => verifyBinary(bytes)); // JIT warm-up (and the engine's one-off feature detection)
for (let round = 0; round < ROUNDS; round++) {
  ours = better(ours, await best(RUNS, () => verifyBinary(bytes)));
  decodeOnly = better(decodeOnly, await best(RUNS, () => buildReport(decodeModule(bytes))));
  v8Default = better(v8Default, await best(RUNS, () => WebAssembly.validate(bytes)));
  v8Single = better(v8Single, v8SingleThreaded());
}

/** One whole run of a wabt tool, ms; exits when it rejects the module. */
function peer(tool: string, args: string[], f: string): number {
  const t = performance.now();
  const r = spawnSync(tool, [...args, f], { stdio: ['ignore', 'ignore', 'ignore'] });
  const ms = performance.now() - t;
  if (r.status !== 0) {
    console.error(`bench/verify: ${tool} ${args.join(' ')} fails on ${f} (fix bench/make-module.ts)`);
    process.exit(1);
  }
  return ms;
}
const objdump = peer('wasm-objdump', ['-d'], large);
const wabtValidate = peer('wasm-validate', ['--enable-all'], large);

const n = bytes.length;
const info = decodeModule(bytes);
const fmt = (ms: number) => ms.toFixed(1).padStart(10);
const rate = (ms: number) => mb(n, ms).toFixed(1).padStart(9);
const ratio = (peerMs: number) => `${(peerMs / ours.ms).toFixed(2)}×`.padStart(12);
const par = (r: { ms: number; cpu: number }) => `cpu/wall ${(r.cpu / r.ms).toFixed(2)}`;
console.log(
  `generated module: ${n} bytes (BENCH_MB=${MB}), ${info.kind === 'module' ? `${info.functionCount} functions, ${info.instructions.total} instructions` : ''}; ` +
    `node ${process.version}, V8 ${process.versions.v8}; best of ${RUNS} runs × ${ROUNDS} rounds`,
);
console.log(`${''.padEnd(40)}   best ms      MB/s  peer/ours`);
console.log(
  `${'verifyBinary (ours, whole verify)'.padEnd(40)}${fmt(ours.ms)}${rate(ours.ms)}${''.padStart(12)}  ${par(ours)}`,
);
console.log(`${'  of which decode + report (ours)'.padEnd(40)}${fmt(decodeOnly.ms)}${rate(decodeOnly.ms)}`);
console.log(
  `${'V8 validate, single-threaded'.padEnd(40)}${fmt(v8Single.ms)}${rate(v8Single.ms)}${ratio(v8Single.ms)}  ${par(v8Single)} (node --single-threaded)`,
);
console.log(
  `${'V8 validate, default (worker threads)'.padEnd(40)}${fmt(v8Default.ms)}${rate(v8Default.ms)}${ratio(v8Default.ms)}  ${par(v8Default)}`,
);
console.log(
  `${'wasm-objdump -d'.padEnd(40)}${fmt(objdump)}${rate(objdump)}${ratio(objdump)}  one run, process start included`,
);
console.log(
  `${'wasm-validate --enable-all'.padEnd(40)}${fmt(wabtValidate)}${rate(wabtValidate)}${ratio(wabtValidate)}  one run, process start included`,
);

// The corpus: the binaries wasm-validate accepts, each tool best of 3 (ours after a warm-up).
const files = readdirSync(CORPUS)
  .map((f) => join(CORPUS, f))
  .filter((f) => spawnSync('wasm-validate', ['--enable-all', f]).status === 0)
  .sort((a, b) => statSync(b).size - statSync(a).size);
const bestPeer = (tool: string, args: string[], f: string) => Math.min(...[0, 1, 2].map(() => peer(tool, args, f)));
let cOurs = 0;
let cObjdump = 0;
let cValidate = 0;
let cBytes = 0;
const x = (peerMs: number, oursMs: number) => `${(peerMs / oursMs).toFixed(1)}×`.padStart(14);
console.log(
  '\ncorpus module                                   bytes   verify ms  objdump -d ms  validate ms  objdump/ours  validate/ours',
);
for (const f of files) {
  const buf = readFileSync(f);
  await best(2, () => verifyBinary(buf));
  const a = (await best(5, () => verifyBinary(buf))).ms;
  const b = bestPeer('wasm-objdump', ['-d'], f);
  const c = bestPeer('wasm-validate', ['--enable-all'], f);
  cOurs += a;
  cObjdump += b;
  cValidate += c;
  cBytes += buf.length;
  const name = f.slice(f.lastIndexOf('/') + 1).slice(0, 44);
  console.log(
    `${name.padEnd(44)} ${String(buf.length).padStart(9)} ${a.toFixed(2).padStart(11)} ${b.toFixed(2).padStart(14)} ${c.toFixed(2).padStart(12)}${x(b, a)}${x(c, a)}`,
  );
}
console.log(
  `corpus total ${cBytes} bytes in ${files.length} modules: verify ${mb(cBytes, cOurs).toFixed(1)} MB/s, ` +
    `wasm-objdump -d ${mb(cBytes, cObjdump).toFixed(1)} MB/s, wasm-validate --enable-all ${mb(cBytes, cValidate).toFixed(1)} MB/s ` +
    `(ratios ${(cObjdump / cOurs).toFixed(1)}× and ${(cValidate / cOurs).toFixed(1)}×; the peers' times include process start)`,
);

// Peak RSS of the CLI verifying the module, next to the CLI's own footprint (`--help`), when GNU time is there.
if (existsSync('/usr/bin/time')) {
  const cli = join(ROOT, 'bin', 'wasm-build.js');
  const rss = (...args: string[]) => {
    const r = spawnSync('/usr/bin/time', ['-f', '%M', process.execPath, cli, ...args], { encoding: 'utf8' });
    const kib = Number(r.stderr.trim().split('\n').at(-1));
    return Number.isFinite(kib) ? kib / 1024 : Number.NaN;
  };
  const verifyRss = rss('verify', large);
  const helpRss = rss('--help');
  console.log(
    `\npeak RSS of wasm-build verify on the generated module: ${verifyRss.toFixed(0)} MiB ` +
      `(file ${(n / 1048576).toFixed(0)} MiB; wasm-build --help alone: ${helpRss.toFixed(0)} MiB)`,
  );
}

const r = v8Single.ms / ours.ms;
console.log(
  `\nours ${mb(n, ours.ms).toFixed(1)} MB/s against V8 single-threaded ${mb(n, v8Single.ms).toFixed(1)} MB/s: ` +
    `ratio ${r.toFixed(2)} (target at least 1.00: ${r >= 1 ? 'reached' : 'not reached'}); ` +
    `wasm-objdump -d/ours ${(objdump / ours.ms).toFixed(1)}× (target at least 3×)`,
);
