// bench/pipeline: our main job on examples/hello, the CLI as a user runs it (`wasm-build CRATE --toolchain /usr
// --image REGISTRY/bench/hello --insecure --arg world --env GREETING=hi --expect-stdout ...`: setup, cargo build,
// wasm-opt, verify, image, push with read-back, smoke test under node, tag), against the same work as a hand-written
// shell recipe (bench/recipe.sh: cargo build, wasm-opt -Oz, wasm-validate, buildah bud, buildah push, the module
// under node:wasi), interleaved in one run: a warm-up of each, then ROUNDS rounds of ours then the recipe, each run
// one whole process timed from spawn to exit (wall clock), the ratio taken pair by pair within a round.
// - Ours twice when the CLI package is built: the root package's bin (what `npx wasm-build` starts in a checkout)
//   and packages/cli's bundle as scripts/build-cli.ts last built it (`npm run build -w wasm-build`; not rebuilt here).
//   Both are started with `node BIN`: npx's own start-up (npm loading itself) is not counted.
// - One registry for both, started here before the first run (docker-registry on 127.0.0.1, as `--local-registry`
//   starts it): neither pays registry start-up. Ours pushes to bench/hello, the recipe to recipe/hello; after the
//   warm-up both re-push an image whose blobs the registry already holds.
// - A private copy of the crate in a temp dir, so no other build of examples/hello touches its target dir. By default
//   both start from a warm target dir (the warm-up built it: every timed cargo build is a no-op rebuild);
//   BENCH_CARGO=cold removes the target dir before every timed run of either (outside the timing): both build from
//   scratch.
// - Run step: both run the module under Node's WASI (the runtime our job's smoke test uses here; WasmEdge, the
//   issue's recipe runtime, cannot be installed here). Ours runs what it pulled back from the registry; the recipe
//   runs its local file.
// - Our runs use --json: the per-stage times below come from the job's own rows (median over the rounds), and "outside
//   the stages" (wall minus their sum) is Node and module loading at start, the argument parsing, and exit.
// Needs: buildah (apt-get install buildah; it runs with a private --root/--runroot under the temp dir, vfs storage,
// --isolation chroot: nothing global is changed), docker-registry, binaryen, wabt, Debian's cargo/rustc with
// libstd-rust-dev-wasm32 and lld-14 (scripts/install-deps.sh has all but buildah). Not run by CI.
// Run: npm run bench:pipeline (BENCH_ROUNDS=7 rounds by default; BENCH_CARGO=warm|cold)
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { handleInterrupts, tempDir } from '@wasm-build/kit';
import { startLocalRegistry } from '@wasm-build/oci';
import { HELLO_SMOKE_ARGS } from '../test/helpers/hello.ts';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const CARGO = process.env.BENCH_CARGO === 'cold' ? 'cold' : 'warm';
const ROOT = resolve(import.meta.dirname, '..');

for (const [tool, args, pkg] of [
  ['buildah', ['--version'], 'buildah'],
  ['docker-registry', ['--version'], 'docker-registry'],
  ['wasm-opt', ['--version'], 'binaryen'],
  ['wasm-validate', ['--version'], 'wabt'],
  ['/usr/bin/cargo', ['--version'], 'cargo libstd-rust-dev-wasm32 lld-14'],
] as const) {
  if (spawnSync(tool, args).status !== 0) {
    console.error(`bench/pipeline needs ${tool} (apt-get install ${pkg})`);
    process.exit(1);
  }
}

// Ctrl-C stops the registry and removes the temp dir (kit's tracked children and temp dirs).
handleInterrupts();
const temp = tempDir('bench-pipeline-');
const dir = temp.path;
const crate = join(dir, 'hello');
mkdirSync(crate);
for (const f of ['Cargo.toml', 'Cargo.lock', 'src'])
  cpSync(join(ROOT, 'examples', 'hello', f), join(crate, f), { recursive: true });
const registry = await startLocalRegistry().catch((e) => {
  temp.remove();
  throw e;
});
const cleanup = async () => {
  await registry.stop();
  temp.remove();
};

// Ours, as a checkout runs it (the root package's bin, what `npx wasm-build` starts there), and the bundled CLI
// package (packages/cli, as scripts/build-cli.ts last built it: `npm run build -w wasm-build`) when it is built.
const job = [
  crate,
  '--toolchain',
  '/usr',
  '--image',
  `${registry.address}/bench/hello`,
  '--insecure',
  '--work-dir',
  join(dir, 'ours'),
  ...HELLO_SMOKE_ARGS,
  '--json',
];
const rootBin = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string> }).bin[
  'wasm-build'
];
const ours: { name: string; argv: string[] }[] = [
  { name: `ours, checkout (${rootBin})`, argv: [process.execPath, join(ROOT, rootBin), ...job] },
];
const bundled = join(ROOT, 'packages', 'cli', 'bin', 'wasm-build.js');
if (existsSync(join(ROOT, 'packages', 'cli', 'dist', 'cli.mjs')) && resolve(bundled) !== resolve(ROOT, rootBin)) {
  ours.push({ name: 'ours, bundled (packages/cli)', argv: [process.execPath, bundled, ...job] });
}
const recipe = ['bash', join(ROOT, 'bench', 'recipe.sh'), crate, registry.address, join(dir, 'recipe')];

interface Run {
  ms: number;
  stdout: string;
}
function run(name: string, argv: string[]): Run {
  if (CARGO === 'cold') rmSync(join(crate, 'target'), { recursive: true, force: true });
  const t = performance.now();
  const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', maxBuffer: 64 << 20 });
  const ms = performance.now() - t;
  if (r.status !== 0) {
    console.error(`bench/pipeline: ${name} failed (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
    throw new Error(`${name} failed`);
  }
  return { ms, stdout: r.stdout };
}

interface Series {
  ms: number[];
  stages: Map<string, number[]>;
  outside: number[];
}
const series = ours.map((): Series => ({ ms: [], stages: new Map(), outside: [] }));
const recipeMs: number[] = [];
try {
  for (const o of ours) run(`${o.name} (warm-up)`, o.argv);
  run('recipe (warm-up)', recipe);
  for (let i = 0; i < ROUNDS; i++) {
    ours.forEach((o, k) => {
      const a = run(o.name, o.argv);
      const s = series[k];
      s.ms.push(a.ms);
      try {
        const rows = (JSON.parse(a.stdout) as { rows: { stage: string; durationMs: number }[] }).rows;
        let sum = 0;
        for (const row of rows) {
          s.stages.set(row.stage, [...(s.stages.get(row.stage) ?? []), row.durationMs]);
          sum += row.durationMs;
        }
        s.outside.push(a.ms - sum);
      } catch {
        // Not JSON: no breakdown for this run, its wall time stands.
      }
    });
    recipeMs.push(run('recipe', recipe).ms);
  }
} finally {
  await cleanup();
}

const sorted = (xs: number[]) => [...xs].sort((p, q) => p - q);
const median = (xs: number[]) => {
  const s = sorted(xs);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const spread = (xs: number[], f = (x: number) => `${x.toFixed(0)} ms`) =>
  `median ${f(median(xs))}  (min ${f(sorted(xs)[0])}, max ${f(sorted(xs).at(-1)!)})`;
const times = (x: number) => `${x.toFixed(2)}×`;

console.log(
  `examples/hello, ${ROUNDS} rounds (${ours.map((o) => o.name).join(', then ')}, then the recipe; one warm-up of each first); ` +
    `cargo target dir ${CARGO === 'warm' ? 'warm (every build a no-op rebuild)' : 'cold (removed before each run)'}; ` +
    `one registry for both, started before the runs; run step: node:wasi in both (no WasmEdge here); node ${process.version}`,
);
const width = Math.max(...ours.map((o) => `ratio ${o.name} / recipe`.length)) + 2;
for (const [k, o] of ours.entries()) console.log(`${o.name.padEnd(width)}${spread(series[k].ms)}`);
console.log(`${'recipe (bench/recipe.sh, buildah)'.padEnd(width)}${spread(recipeMs)}`);
const ratioOf = (k: number) => series[k].ms.map((x, i) => x / recipeMs[i]);
for (const [k, o] of ours.entries()) {
  console.log(`${`ratio ${o.name} / recipe`.padEnd(width)}${spread(ratioOf(k), times)}  (pair by pair)`);
}
ours.forEach((o, k) => {
  const s = series[k];
  if (!s.stages.size) return;
  console.log(`\n${o.name}: median per stage (the job's own rows, --json)`);
  for (const [stage, xs] of s.stages) console.log(`  ${stage.padEnd(12)} ${median(xs).toFixed(0).padStart(6)} ms`);
  console.log(
    `  ${'outside'.padEnd(12)} ${median(s.outside).toFixed(0).padStart(6)} ms  (wall minus the stages: Node start, module loading, exit)`,
  );
});
console.log('');
ours.forEach((o, k) => {
  const r = median(ratioOf(k));
  console.log(`${o.name} / recipe: ${times(r)} (goal at most 1.20×: ${r <= 1.2 ? 'reached' : 'not reached'})`);
});
