import type { Feature, VerifyReport } from './report.ts';

export const RUNTIMES = ['wasmedge', 'crun-wasmedge', 'wasmtime', 'node'] as const;
export type Runtime = (typeof RUNTIMES)[number];

/** Whether a runtime can run the module: as it is, with a flag, not at all, or not known from our facts. */
export interface RuntimeFit {
  runtime: Runtime;
  status: 'runs' | 'needs-flag' | 'cannot' | 'unknown';
  /** Flags to pass, e.g. ["--enable-threads"]. */
  flags: string[];
  reason: string;
  /** Where the fact comes from. */
  source: string;
}

// Features every one of these runtimes enables by default (WebAssembly 2.0 finished proposals).
const BASELINE = new Set<Feature>([
  'bulk-memory',
  'sign-ext',
  'nontrapping-float-to-int',
  'reference-types',
  'multivalue',
  'mutable-globals',
  'simd',
]);
// crun's WasmEdge handler turns on only these proposals (containers/crun src/libcrun/handlers/wasmedge.c).
const CRUN_WASMEDGE = new Set<Feature>(['bulk-memory', 'reference-types', 'simd']);
const CRUN_SOURCE = 'containers/crun src/libcrun/handlers/wasmedge.c; seen with crun 1.27.1 + WasmEdge 0.17.1';
const WASMEDGE_SOURCE = 'WasmEdge CLI (wasmedge run --help); seen with WasmEdge 0.17.1';
const WASMTIME_SOURCE = 'wasmtime docs, "wasmtime run" -W/-S options (threads, wasi-threads)';
const NODE_SOURCE = 'Node.js docs, node:wasi (preview1 only); Node 20 Liftoff atomics bug seen here';

function beyond(report: VerifyReport, allowed: Set<Feature>, ignore: Feature[] = []): Feature[] {
  return (Object.keys(report.features) as Feature[]).filter(
    (f) => report.features[f].used && !allowed.has(f) && !ignore.includes(f) && f !== 'threads',
  );
}

/**
 * For WasmEdge (CLI), crun with its WasmEdge handler, wasmtime and Node: can the module run, with which flags,
 * or why not. Built only from checked facts (shared/DESIGN.md "Facts the design rests on"); where a module uses a
 * proposal we hold no fact about for a runtime, the answer is `unknown` with the features named.
 */
export function runtimeFit(report: VerifyReport): RuntimeFit[] {
  const shared = report.features['shared-memory'].used;
  const atomics = report.features.atomics.used;
  const spawn = report.wasi.threadSpawnImport;
  const threadFeatures: Feature[] = ['shared-memory', 'atomics'];
  if (report.kind === 'component') {
    const reason = 'a WebAssembly component (component model), not a core module';
    return [
      {
        runtime: 'wasmedge',
        status: 'cannot',
        flags: [],
        reason: `${reason}; WasmEdge runs core modules`,
        source: WASMEDGE_SOURCE,
      },
      {
        runtime: 'crun-wasmedge',
        status: 'cannot',
        flags: [],
        reason: `${reason}; crun hands the file to WasmEdge`,
        source: CRUN_SOURCE,
      },
      {
        runtime: 'wasmtime',
        status: 'runs',
        flags: [],
        reason: 'wasmtime runs wasip2 components',
        source: WASMTIME_SOURCE,
      },
      {
        runtime: 'node',
        status: 'cannot',
        flags: [],
        reason: `${reason}; node:wasi runs preview1 modules`,
        source: NODE_SOURCE,
      },
    ];
  }
  const out: RuntimeFit[] = [];

  // Proposals past the 2.0 baseline (threads aside, handled per runtime) that we hold no fact about for WasmEdge,
  // wasmtime or Node.
  const unchecked = beyond(report, BASELINE, threadFeatures);

  // WasmEdge CLI
  if (spawn) {
    out.push({
      runtime: 'wasmedge',
      status: 'cannot',
      flags: [],
      reason: 'imports wasi.thread-spawn: WasmEdge has no wasi-threads ("unknown import")',
      source: WASMEDGE_SOURCE,
    });
  } else if (unchecked.length) {
    out.push({
      runtime: 'wasmedge',
      status: 'unknown',
      flags: [],
      reason: `uses ${unchecked.join(', ')}, not checked against WasmEdge`,
      source: WASMEDGE_SOURCE,
    });
  } else if (shared || atomics) {
    out.push({
      runtime: 'wasmedge',
      status: 'needs-flag',
      flags: ['--enable-threads'],
      reason: 'shared memory / atomics load only with --enable-threads',
      source: WASMEDGE_SOURCE,
    });
  } else
    out.push({
      runtime: 'wasmedge',
      status: 'runs',
      flags: [],
      reason: 'uses only default-enabled features',
      source: WASMEDGE_SOURCE,
    });

  // crun + WasmEdge handler: no flags can be passed through crun.
  const crunOther = beyond(report, CRUN_WASMEDGE);
  if (spawn) {
    out.push({
      runtime: 'crun-wasmedge',
      status: 'cannot',
      flags: [],
      reason: 'imports wasi.thread-spawn: WasmEdge has no wasi-threads',
      source: CRUN_SOURCE,
    });
  } else if (shared || atomics) {
    out.push({
      runtime: 'crun-wasmedge',
      status: 'cannot',
      flags: [],
      reason:
        'crun\'s WasmEdge handler does not enable threads: shared memory fails to load ("malformed limits flags")',
      source: CRUN_SOURCE,
    });
  } else if (crunOther.length) {
    out.push({
      runtime: 'crun-wasmedge',
      status: 'cannot',
      flags: [],
      reason: `uses ${crunOther.join(', ')}; crun's WasmEdge handler enables only bulk-memory, reference-types and SIMD`,
      source: CRUN_SOURCE,
    });
  } else
    out.push({
      runtime: 'crun-wasmedge',
      status: 'runs',
      flags: [],
      reason: 'uses only what the handler enables; entrypoint must end in .wasm for compat-smart',
      source: CRUN_SOURCE,
    });

  // wasmtime
  if (unchecked.length) {
    out.push({
      runtime: 'wasmtime',
      status: 'unknown',
      flags: [],
      reason: `uses ${unchecked.join(', ')}, not checked against wasmtime`,
      source: WASMTIME_SOURCE,
    });
  } else if (spawn) {
    out.push({
      runtime: 'wasmtime',
      status: 'needs-flag',
      flags: ['-W', 'threads=y', '-S', 'threads=y'],
      reason: 'wasi-threads needs the threads proposal and the wasi-threads interface',
      source: WASMTIME_SOURCE,
    });
  } else if (shared || atomics) {
    out.push({
      runtime: 'wasmtime',
      status: 'needs-flag',
      flags: ['-W', 'threads=y'],
      reason: 'shared memory / atomics need the threads proposal',
      source: WASMTIME_SOURCE,
    });
  } else
    out.push({
      runtime: 'wasmtime',
      status: 'runs',
      flags: [],
      reason: 'uses only default-enabled features',
      source: WASMTIME_SOURCE,
    });

  // Node (node:wasi)
  if (spawn) {
    out.push({
      runtime: 'node',
      status: 'cannot',
      flags: [],
      reason: 'imports wasi.thread-spawn, which node:wasi does not provide',
      source: NODE_SOURCE,
    });
  } else if (unchecked.length) {
    out.push({
      runtime: 'node',
      status: 'unknown',
      flags: [],
      reason: `uses ${unchecked.join(', ')}, not checked against Node`,
      source: NODE_SOURCE,
    });
  } else if (shared) {
    out.push({
      runtime: 'node',
      status: 'needs-flag',
      flags: ['--no-liftoff'],
      reason: "Node 20's Liftoff mis-handles a local across memory.atomic.wait32",
      source: NODE_SOURCE,
    });
  } else
    out.push({
      runtime: 'node',
      status: 'runs',
      flags: [],
      reason: 'a preview1 module using default-enabled features',
      source: NODE_SOURCE,
    });
  return out;
}
