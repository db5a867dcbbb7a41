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
// Method: ours is the headline on bytes in memory, as verifyBinary gets them from the pipeline: read by readModule into
// a module buffer (a WebAssembly memory, where our WebAssembly scanner reads the bodies in place and V8 validates the
// same bytes, no copy). `wasm-build verify FILE` on a file this large reads it a window of its code section at a time
// instead (verifyModuleFile, packages/wasm/src/windowed.ts): that row, file read included, is printed beside the same
// verify reading the file whole first (readModule, whose fresh pages cost a page fault each). Ours runs V8's validation as Node does by default (on its worker threads), after our decode, not beside it:
// nothing of ours runs while V8 validates. The same verify on a plain Buffer (JavaScript scanner) is printed too.
// So ours reaches V8's single-threaded throughput in wall time only: its CPU time (cpu/wall column × ms) includes
// V8's whole validation, spread over two cores. MB/s are 10^6 bytes a second; the file's size is its bytes (BENCH_MB
// MiB asked of make-module.ts: 50 gives 52,461,585 bytes, 50.03 MiB), and peak RSS is compared with it in MiB.
// Ours and V8 are best of RUNS after a JIT warm-up, in ROUNDS interleaved rounds (less exposed to load from other
// processes). Ratios are peer time / our time (above 1: ours is faster). Then the corpus table (the binaries
// wasm-validate accepts) and the peak RSS (GNU time's maximum resident set size, median of 3 runs) of a plain node
// process doing verify (bundled by esbuild: verifyModuleFile, as the CLI does, and readModule with verifyModule), of `wasm-build verify` from the npm
// package (packages/cli, built here by scripts/build-cli.ts), and as bin/wasm-build.js runs it (tsx), each against
// the file's size in MiB.
// Run: npm run bench:verify (BENCH_MB=5 for a quick run)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildReport, decodeModule, verifyBinary } from '@wasm-build/wasm';
import { buildSync } from 'esbuild';
import { verifyModule, verifyModuleFile } from '../packages/pipeline/src/steps/verify.ts';
import { readModule } from '../packages/pipeline/src/verify-bytes.ts';
import { wasmScanner } from '../packages/wasm/src/code-wasm.ts';
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
const bytes = readModule(large); // as the CLI reads it: into a module buffer
const plain = readFileSync(large); // a plain Buffer: the JavaScript scanner
if (!wasmScanner(bytes)) throw new Error('bench/verify: readModule did not read into a module buffer');
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
let oursPlain = INF;
let decodePlain = INF;
let v8Single = INF;
let v8Default = INF;
let fileWindowed = INF;
let fileWhole = INF;
const FIX = 'bench';
await best(2, () => verifyBinary(bytes)); // JIT warm-up (and the engine's one-off feature detection)
await best(2, () => verifyBinary(plain));
for (let round = 0; round < ROUNDS; round++) {
  ours = better(ours, await best(RUNS, () => verifyBinary(bytes)));
  decodeOnly = better(decodeOnly, await best(RUNS, () => buildReport(decodeModule(bytes))));
  v8Default = better(v8Default, await best(RUNS, () => WebAssembly.validate(bytes as Uint8Array<ArrayBuffer>)));
  v8Single = better(v8Single, v8SingleThreaded());
  oursPlain = better(oursPlain, await best(RUNS, () => verifyBinary(plain)));
  decodePlain = better(decodePlain, await best(RUNS, () => buildReport(decodeModule(plain))));
  fileWindowed = better(fileWindowed, await best(RUNS, () => verifyModuleFile(large, {}, FIX)));
  fileWhole = better(fileWhole, await best(RUNS, () => verifyModule(readModule(large), large, {})));
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
  `${'verifyBinary (ours, whole verify)'.padEnd(40)}${fmt(ours.ms)}${rate(ours.ms)}${''.padStart(12)}  ${par(ours)} (bytes read by readModule, as the CLI)`,
);
console.log(`${'  of which decode + report (ours)'.padEnd(40)}${fmt(decodeOnly.ms)}${rate(decodeOnly.ms)}`);
console.log(
  `${'verifyBinary on a plain Buffer (ours)'.padEnd(40)}${fmt(oursPlain.ms)}${rate(oursPlain.ms)}${`${(oursPlain.ms / ours.ms).toFixed(2)}×`.padStart(12)}  ${par(oursPlain)} (JavaScript scanner)`,
);
console.log(`${'  of which decode + report (ours)'.padEnd(40)}${fmt(decodePlain.ms)}${rate(decodePlain.ms)}`);
console.log(
  `${'from the file, by windows (CLI verify)'.padEnd(40)}${fmt(fileWindowed.ms)}${rate(fileWindowed.ms)}${`${(fileWindowed.ms / ours.ms).toFixed(2)}×`.padStart(12)}  ${par(fileWindowed)} (verifyModuleFile: read, decode, validate a window at a time)`,
);
console.log(
  `${'from the file, read whole'.padEnd(40)}${fmt(fileWhole.ms)}${rate(fileWhole.ms)}${`${(fileWhole.ms / ours.ms).toFixed(2)}×`.padStart(12)}  ${par(fileWhole)} (readModule into a fresh module buffer, then verifyModule)`,
);
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

// Peak RSS verifying the module, against the file's size: a plain node process doing verify (what verify itself
// holds), the CLI as the npm package ships it (start-up and the modules verify loads), and the CLI as
// bin/wasm-build.js runs it in a checkout (tsx, which transpiles at start). GNU time's maximum resident set size,
// median of 3 runs.
const fileMiB = n / 1048576;
let verifyRss = Number.NaN;
if (existsSync('/usr/bin/time')) {
  const bundle = (name: string, contents: string) => {
    const outfile = join(dir, `${name}.mjs`);
    buildSync({
      stdin: { contents, resolveDir: ROOT, loader: 'ts' },
      bundle: true,
      platform: 'node',
      format: 'esm',
      outfile,
      logLevel: 'error',
      banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
    });
    return outfile;
  };
  const verifyEntry = bundle(
    'verify-only',
    "import { verifyModuleFile } from './packages/pipeline/src/steps/verify.ts';\n" +
      'const f = process.argv[2];\n' +
      "const doc = await verifyModuleFile(f, {}, 'bench');\n" +
      "if (doc.validity.status !== 'valid') process.exit(3);\n",
  );
  const wholeEntry = bundle(
    'verify-whole',
    "import { verifyModule } from './packages/pipeline/src/steps/verify.ts';\n" +
      "import { readModule } from './packages/pipeline/src/verify-bytes.ts';\n" +
      'const f = process.argv[2];\n' +
      'const doc = await verifyModule(readModule(f), f, {});\n' +
      "if (doc.validity.status !== 'valid') process.exit(3);\n",
  );
  // The CLI as the npm package ships it (scripts/build-cli.ts: one ESM bundle with lazy chunks), built here.
  await import('../scripts/build-cli.ts');
  const cliBundle = join(ROOT, 'packages', 'cli', 'bin', 'wasm-build.js');
  const rss = (...args: string[]) => {
    const kib = [0, 1, 2].map(() => {
      const r = spawnSync('/usr/bin/time', ['-f', '%M', process.execPath, ...args], { encoding: 'utf8' });
      const v = Number(r.stderr.trim().split('\n').at(-1));
      return r.status === 0 && Number.isFinite(v) ? v : Number.NaN;
    });
    return kib.sort((a, b) => a - b)[1] / 1024;
  };
  verifyRss = rss(verifyEntry, large);
  const rows: [string, number][] = [
    ['node -e 0 (for scale)', rss('-e', '0')],
    ['plain node: verifyModuleFile (by windows)', verifyRss],
    ['plain node: readModule + verifyModule (whole)', rss(wholeEntry, large)],
    ['wasm-build verify, the npm package (packages/cli)', rss(cliBundle, 'verify', large)],
    ['wasm-build --help alone, the npm package', rss(cliBundle, '--help')],
    ['wasm-build verify (bin/wasm-build.js, tsx)', rss(join(ROOT, 'bin', 'wasm-build.js'), 'verify', large)],
  ];
  console.log(
    `\npeak RSS, file ${n} bytes = ${fileMiB.toFixed(2)} MiB (target: at most 2× = ${(2 * fileMiB).toFixed(1)} MiB)`,
  );
  for (const [name, mib] of rows) {
    console.log(
      `${name.padEnd(52)}${mib.toFixed(1).padStart(8)} MiB ${`${(mib / fileMiB).toFixed(2)}× file`.padStart(12)}`,
    );
  }
}

const r = v8Single.ms / ours.ms;
console.log(
  `\nours ${mb(n, ours.ms).toFixed(1)} MB/s against V8 single-threaded ${mb(n, v8Single.ms).toFixed(1)} MB/s: ` +
    `ratio ${r.toFixed(2)} (target at least 1.00: ${r >= 1 ? 'reached' : 'not reached'}); ` +
    `wasm-objdump -d/ours ${(objdump / ours.ms).toFixed(1)}× (target at least 3×); ` +
    `on a plain Buffer ${mb(n, oursPlain.ms).toFixed(1)} MB/s, ratio ${(v8Single.ms / oursPlain.ms).toFixed(2)}`,
);
const rf = v8Single.ms / fileWindowed.ms;
console.log(
  `from the file as \`wasm-build verify\` reads it (by windows, read included) ${mb(n, fileWindowed.ms).toFixed(1)} MB/s: ` +
    `ratio to V8 single-threaded ${rf.toFixed(2)}; read whole first ${mb(n, fileWhole.ms).toFixed(1)} MB/s, ratio ${(v8Single.ms / fileWhole.ms).toFixed(2)}`,
);
if (Number.isFinite(verifyRss)) {
  console.log(
    `peak RSS of a plain node verify (by windows) ${verifyRss.toFixed(1)} MiB = ${(verifyRss / fileMiB).toFixed(2)}× the file's ` +
      `${fileMiB.toFixed(2)} MiB (target at most 2×: ${verifyRss <= 2 * fileMiB ? 'reached' : 'not reached'})`,
  );
}
