// bench/cli: start-up of the published CLI, the bundle that `npm pack` ships (scripts/build-cli.ts, built here
// first), as whole processes, against `node -e 0` measured in the same run:
// - `wasm-build --help` (goal: within +150 ms of `node -e 0`);
// - `wasm-build verify` of a generated 1 MB module (make-module.ts; goal: within +250 ms).
// The three commands run in turn in every round (the order rotating), after WARMUP rounds not counted, so that a
// change in the machine's load moves all three alike. Two figures per process, ms: wall time from spawn to exit (the
// goals are in it), and CPU time (user + system, all threads, from process.cpuUsage() at its exit, through a
// --require preload that all three get), which a busy machine inflates far less than wall time. The deltas are
// medians of the per-round differences against `node -e 0` (paired, like the rounds).
// Run: npm run bench:cli (BENCH_RUNS=N rounds, default 21; BENCH_MB=N for another module size)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { makeLargeModule } from './make-module.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 21);
const WARMUP = 3;
const MB = Number(process.env.BENCH_MB ?? 1);
const ROOT = resolve(import.meta.dirname, '..');
const BIN = join(ROOT, 'packages/cli/bin/wasm-build.js');

await import('../scripts/build-cli.ts');
const dir = mkdtempSync(join(tmpdir(), 'bench-cli-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
const module = join(dir, `generated-${MB}mb.wasm`);
writeFileSync(module, makeLargeModule(MB * 1024 * 1024));
const CPU_REPORT = join(dir, 'cpu-report.cjs');
writeFileSync(
  CPU_REPORT,
  "process.on('exit', () => { const u = process.cpuUsage(); require('node:fs').writeSync(2, '\\nwasm-build-bench-cpu-us ' + (u.user + u.system) + '\\n'); });\n",
);

interface Case {
  name: string;
  args: string[];
  goalMs?: number;
}
const CASES: Case[] = [
  { name: 'node -e 0', args: ['-e', '0'] },
  { name: 'wasm-build --help', args: [BIN, '--help'], goalMs: 150 },
  { name: `wasm-build verify (${MB} MB)`, args: [BIN, 'verify', module], goalMs: 250 },
];

/**
 * Wall and CPU time of one whole process, ms.
 * @throws Error when it does not exit 0 or reports no CPU time (a benchmark of a failure is no benchmark).
 */
function time(c: Case): { wall: number; cpu: number } {
  const t = performance.now();
  const r = spawnSync(process.execPath, ['--require', CPU_REPORT, ...c.args], {
    stdio: ['ignore', 'ignore', 'pipe'],
    encoding: 'utf8',
  });
  const wall = performance.now() - t;
  const cpu = /^wasm-build-bench-cpu-us (\d+)$/m.exec(r.stderr);
  if (r.status !== 0 || !cpu)
    throw new Error(`bench/cli: ${c.name} exited ${r.status ?? r.signal}: ${r.stderr.trim()}`);
  return { wall, cpu: Number(cpu[1]) / 1000 };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const walls: number[][] = CASES.map(() => []);
const cpus: number[][] = CASES.map(() => []);
for (let round = 0; round < WARMUP + RUNS; round++) {
  for (let k = 0; k < CASES.length; k++) {
    const i = (round + k) % CASES.length;
    const t = time(CASES[i]);
    if (round < WARMUP) continue;
    walls[i].push(t.wall);
    cpus[i].push(t.cpu);
  }
}

const ms = (n: number) => `${n.toFixed(0)} ms`;
/** Median of the per-round differences of case `i` against `node -e 0` (case 0), ms. */
const delta = (xs: number[][], i: number) => median(xs[i].map((t, r) => t - xs[0][r]));
const rows = CASES.map((c, i) => {
  const wall = i === 0 ? undefined : delta(walls, i);
  return [
    c.name,
    ms(median(walls[i])),
    `${ms(Math.min(...walls[i]))} – ${ms(Math.max(...walls[i]))}`,
    wall === undefined ? '' : `+${ms(wall)}`,
    ms(median(cpus[i])),
    i === 0 ? '' : `+${ms(delta(cpus, i))}`,
    c.goalMs === undefined || wall === undefined
      ? ''
      : `+${c.goalMs} ms: ${wall <= c.goalMs ? 'within' : `over by ${ms(wall - c.goalMs)}`}`,
  ];
});
const head = ['command', 'wall median', 'wall min – max', 'wall vs node', 'cpu median', 'cpu vs node', 'goal (wall)'];
const widths = head.map((h, j) => Math.max(h.length, ...rows.map((r) => r[j].length)));
const line = (cells: string[]) =>
  cells
    .map((c, j) => c.padEnd(widths[j]))
    .join('  ')
    .trimEnd();
process.stdout.write(
  `${RUNS} rounds (${WARMUP} warm-up rounds not counted), whole processes, node ${process.version}\n` +
    `${[line(head), ...rows.map(line)].join('\n')}\n`,
);
