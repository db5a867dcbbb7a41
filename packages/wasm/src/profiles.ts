// What each runtime does with a module, as data. Every fact names its evidence: a row of shared/corpus/
// RUNTIME-OUTCOMES.tsv (measured on WasmEdge 0.17.1, crun 1.27.1 +WASM:wasmedge and Node 20.20.2) or an upstream
// file for what could not be run here. runtimeFit holds a verify report against these.
import type { Feature } from './report.ts';
import type { Engine } from './validate.ts';

/** A fact and where it comes from. */
export interface Fact<T> {
  value: T;
  evidence: string;
}

/** The runtime's own words for each failure class, as measured (first error line, timestamps removed). */
export interface RuntimeErrors {
  /** A shared memory while threads are off. */
  sharedMemory?: string;
  /** An atomic instruction while threads are off. */
  atomics?: string;
  /** An import the runtime does not provide; `{module}`, `{name}`, `{kind}`, `{index}` are filled in. */
  unknownImport: string;
  /** No entry point to run. */
  noEntry: string;
  /** A component binary. */
  component: string;
}

export interface RuntimeProfile {
  runtime: 'wasmedge' | 'crun-wasmedge' | 'wasmtime' | 'node';
  /** e.g. "WasmEdge 0.17.1 CLI". */
  label: string;
  /** The versions the facts hold for, e.g. ">=0.16 (measured: 0.17.1)". */
  versions: string;
  /** Proposals enabled with no flag. */
  defaults: Fact<Feature[]>;
  /** Proposals a flag turns on, with the flags. */
  flagged: Fact<Partial<Record<Feature, string[]>>>;
  /** Proposals that cannot be turned on at all (the module fails to load). */
  unsupported: Fact<Feature[]>;
  /** Import modules whose functions the runtime provides. */
  importModules: Fact<string[]>;
  /** Import modules (or `module.name`) provided only with a flag (e.g. wasmtime's `wasi` with `-S threads=y`). */
  flaggedImports?: Fact<Record<string, string[]>>;
  /** Whether an imported memory (any module and name) is created for the module; `unknown` where not known. */
  providesMemories: Fact<boolean | 'unknown'>;
  /** Exports it starts: `_start`, or `_start` else `_initialize` (a reactor is initialised and exits 0). */
  entry: Fact<('_start' | '_initialize')[]>;
  /** Whether the module's `proc_exit(N)` becomes the process's exit status. */
  exitCodes: Fact<{ propagates: boolean; trap?: number; failure: number }>;
  /** Whether components run. */
  components: Fact<boolean>;
  /** The engine validates the module itself: a rejection by the engine here is the runtime's own load failure. */
  validatesHere?: boolean;
  errors: RuntimeErrors;
}

const TSV = 'shared/corpus/RUNTIME-OUTCOMES.tsv';
const WASMEDGE_STANDARD =
  'WasmEdge docs "Upgrade to WasmEdge 0.16.0" (WASM 3.0 is the default standard: WASM 2.0 plus tail-call, ' +
  'extended-const, typed function references, GC, multiple memories, relaxed SIMD, exception handling; memory64 not ' +
  'supported; threads off)';

// WasmEdge 0.16 and later enable the WASM 3.0 standard by default; only threads needs a flag.
const WASM3: Feature[] = [
  'mutable-globals',
  'nontrapping-float-to-int',
  'sign-ext',
  'multivalue',
  'bulk-memory',
  'reference-types',
  'simd',
  'tail-call',
  'gc',
  'multimemory',
  'relaxed-simd',
  'exception-handling',
];

const WASMEDGE_ERRORS: RuntimeErrors = {
  sharedMemory: 'loading failed: malformed limits flags, Code: 0x11d',
  atomics: 'loading failed: illegal opcode, Code: 0x117',
  unknownImport: 'instantiation failed: unknown import, Code: 0x302',
  noEntry: 'A function name is required when reactor mode is enabled.',
  component: 'loading failed: unknown binary version, Code: 0x104',
};

export const WASMEDGE: RuntimeProfile = {
  runtime: 'wasmedge',
  label: 'WasmEdge CLI',
  versions: '>=0.16 (measured: 0.17.1)',
  defaults: {
    value: WASM3,
    evidence: `${WASMEDGE_STANDARD}; ${TSV}: binaryen_gc_target_feature, simd_const.* and bulk.* load (no-entry, not load-fail)`,
  },
  flagged: {
    value: { 'shared-memory': ['--enable-threads'], atomics: ['--enable-threads'] },
    evidence: `${TSV}: threads-atomic.0 (shared memory: "malformed limits flags") and threads-atomic.2 (atomics: "illegal opcode") fail plain and load with --enable-threads`,
  },
  unsupported: { value: ['memory64'], evidence: WASMEDGE_STANDARD },
  importModules: {
    value: ['wasi_snapshot_preview1'],
    evidence: `${TSV}: wamr_coremark_wasi (wasi_unstable), binary-leb128.10 (spectest), wamr_pthread_mutex (env), thread_spawn-simple with --enable-threads (env.memory) all fail "unknown import"`,
  },
  providesMemories: {
    value: false,
    evidence: `${TSV}: thread_spawn-simple, --enable-threads: env.memory (memory) unknown import`,
  },
  entry: {
    value: ['_start'],
    evidence: `${TSV}: every spec/valid module without _start: "A function name is required when reactor mode is enabled." (rc 1)`,
  },
  exitCodes: {
    value: { propagates: true, trap: 134, failure: 1 },
    evidence: `${TSV} header (proc_exit(N) gives exit N); c_fopen-with-access: trap rc 134; load/link failures rc 1`,
  },
  components: { value: false, evidence: `${TSV}: rust_wasip3_cli-exit.component: "unknown binary version"` },
  errors: WASMEDGE_ERRORS,
};

export const CRUN_WASMEDGE: RuntimeProfile = {
  runtime: 'crun-wasmedge',
  label: 'crun with its WasmEdge handler',
  versions: 'crun >=1.27 with WasmEdge >=0.16 (measured: crun 1.27.1, WasmEdge 0.17.1)',
  defaults: {
    value: WASM3,
    evidence: `containers/crun src/libcrun/handlers/wasmedge.c (WasmEdge_ConfigureCreate: WasmEdge's defaults); ${WASMEDGE_STANDARD}; ${TSV}: binaryen_gc_target_feature loads (no-entry)`,
  },
  flagged: { value: {}, evidence: 'containers/crun src/libcrun/handlers/wasmedge.c: no way to pass WasmEdge flags' },
  unsupported: {
    value: ['shared-memory', 'atomics', 'memory64'],
    evidence: `${TSV}: threads-atomic.0 ("malformed limits flags"), threads-atomic.2 ("illegal opcode"); ${WASMEDGE_STANDARD}`,
  },
  importModules: {
    value: ['wasi_snapshot_preview1'],
    evidence: `${TSV}: wamr_coremark_wasi (wasi_unstable) and binary-leb128.10 (spectest) fail "unknown import"`,
  },
  providesMemories: { value: false, evidence: 'WasmEdge registers no memory for imports (see the WasmEdge profile)' },
  entry: {
    value: ['_start'],
    evidence: `${TSV}: every spec/valid module without _start: "wasm function not found" (rc 1)`,
  },
  exitCodes: {
    value: { propagates: false, failure: 1 },
    evidence: `${TSV} header CAVEAT: proc_exit(N) gives crun exit 0; any WasmEdge error (load, link, no _start, trap) gives 1`,
  },
  components: { value: false, evidence: `${TSV}: rust_wasip3_cli-exit.component: "unknown binary version"` },
  errors: {
    ...WASMEDGE_ERRORS,
    noEntry: 'wasmedge runtime failed: wasm function not found, Code: 0x005',
  },
};

const WASMTIME_DOCS = 'bytecodealliance/wasmtime docs/stability-wasm-proposals.md (36.x: on-by-default proposals)';

export const WASMTIME: RuntimeProfile = {
  runtime: 'wasmtime',
  label: 'wasmtime run',
  versions: '36.x (not run here)',
  defaults: {
    value: [
      'mutable-globals',
      'sign-ext',
      'nontrapping-float-to-int',
      'multivalue',
      'bulk-memory',
      'reference-types',
      'simd',
      'relaxed-simd',
      'multimemory',
      'tail-call',
      'memory64',
    ],
    evidence: WASMTIME_DOCS,
  },
  flagged: {
    value: { 'shared-memory': ['-W', 'threads=y'], atomics: ['-W', 'threads=y'] },
    evidence: 'wasmtime docs, "wasmtime run" -W threads=y',
  },
  unsupported: { value: [], evidence: WASMTIME_DOCS },
  importModules: { value: ['wasi_snapshot_preview1'], evidence: 'wasmtime docs, WASI preview1 in "wasmtime run"' },
  flaggedImports: {
    value: { wasi: ['-S', 'threads=y'], 'env.memory': ['-S', 'threads=y'] },
    evidence:
      'wasmtime docs, "wasmtime run" -S threads=y; WebAssembly/wasi-threads README (the host gives the module its shared env.memory and wasi.thread-spawn)',
  },
  providesMemories: {
    value: 'unknown',
    evidence: 'not run here: whether "wasmtime run" gives other imported memories',
  },
  entry: { value: ['_start'], evidence: 'wasmtime docs, "wasmtime run" calls _start (--invoke otherwise)' },
  exitCodes: { value: { propagates: true, failure: 1 }, evidence: 'wasmtime docs: proc_exit(N) exits N' },
  components: { value: true, evidence: 'wasmtime docs: "wasmtime run" runs wasi:cli components' },
  // wasmtime was not run here: its own error texts are not quoted.
  errors: {
    unknownImport: 'unknown import (wasmtime not run here)',
    noEntry: 'no _start export (wasmtime not run here)',
    component: '-',
  },
};

/**
 * The Node profile for the Node running us, whose engine also validates the module (so what it enables is what
 * node:wasi can load). Our runner (packages/smoke node-runner-source.ts) gives every imported memory a
 * `WebAssembly.Memory` of the declared limits, as the measurement did.
 */
export function nodeProfile(engine: Engine): RuntimeProfile {
  const enabled = (Object.keys(engine.features) as (Feature | 'extended-const')[]).filter(
    (f): f is Feature => f !== 'extended-const' && engine.features[f],
  );
  const probed = `wasm-feature-detect probes of ${engine.name}`;
  return {
    runtime: 'node',
    label: `node:wasi (Node ${engine.node})`,
    versions: `${engine.node} (detected here; measured: v20.20.2)`,
    defaults: { value: enabled, evidence: probed },
    flagged: {
      value: {},
      evidence: 'the runner passes no V8 flags (--no-liftoff never changed an outcome: TSV header)',
    },
    unsupported: {
      value: (Object.keys(engine.features) as Feature[]).filter((f) => !enabled.includes(f)),
      evidence: probed,
    },
    importModules: {
      value: ['wasi_snapshot_preview1'],
      evidence: `Node.js docs, node:wasi getImportObject() (preview1); ${TSV}: wasi_unstable, env, spectest, wasi imports fail "module is not an object or function"`,
    },
    providesMemories: {
      value: true,
      evidence: `our runner creates every imported memory; ${TSV}: threads-imports.100 (spectest.shared_memory) instantiates`,
    },
    entry: {
      value: ['_start', '_initialize'],
      evidence: `${TSV} node_wasi header (start(), else initialize()); spec/valid modules with neither: no-entry`,
    },
    exitCodes: {
      value: { propagates: true, failure: 1 },
      evidence: 'Node.js docs, WASI returnOnExit (start() returns the proc_exit code)',
    },
    components: {
      value: false,
      evidence: `${TSV}: rust_wasip3_cli-exit.component: CompileError "expected version 01 00 00 00"`,
    },
    validatesHere: true,
    errors: {
      unknownImport:
        'TypeError: WebAssembly.Instance(): Import #{index} module="{module}" error: module is not an object or function',
      noEntry: 'instantiated; no _start/_initialize export',
      component: 'CompileError: WebAssembly.Module(): expected version 01 00 00 00, found 0d 00 01 00 @+4',
    },
  };
}

/** The profiles verify holds a module against, in report order. */
export function runtimeProfiles(engine: Engine): RuntimeProfile[] {
  return [WASMEDGE, CRUN_WASMEDGE, WASMTIME, nodeProfile(engine)];
}
