import { statSync } from 'node:fs';
import { UserError } from '@wasm-build/kit/errors';
import { type Command, exec, runOk } from '@wasm-build/kit/exec';
import type { Log } from '@wasm-build/kit/log';
import type { Feature, VerifyReport } from '@wasm-build/wasm';

// binaryen's --enable-* flag names for our features (binaryen src/wasm-features.h; it calls atomics "threads").
const BINARYEN_FLAGS: Record<Feature, string[]> = {
  threads: ['threads'],
  'shared-memory': ['threads'],
  atomics: ['threads'],
  simd: ['simd'],
  'relaxed-simd': ['relaxed-simd'],
  'bulk-memory': ['bulk-memory', 'bulk-memory-opt'],
  'sign-ext': ['sign-ext'],
  'nontrapping-float-to-int': ['nontrapping-float-to-int'],
  'reference-types': ['reference-types'],
  multivalue: ['multivalue'],
  'mutable-globals': ['mutable-globals'],
  'tail-call': ['tail-call'],
  'exception-handling': ['exception-handling'],
  gc: ['gc', 'reference-types'],
  multimemory: ['multimemory'],
  memory64: ['memory64'],
};
// LLVM target_features names → binaryen flag names, where they differ.
const FROM_TARGET_FEATURE: Record<string, string> = {
  atomics: 'threads',
  simd128: 'simd',
  'nontrapping-fptoint': 'nontrapping-float-to-int',
  'extended-const': 'extended-const',
};

/**
 * The `--enable-*` flags for what the module uses (from verify's report) and what its `target_features` section
 * declares, so wasm-opt accepts a module whose section was stripped (binaryen#5833: "atomics are disabled").
 * Flags the installed wasm-opt does not know (`supported`, from `wasm-opt --help`) are left out, e.g.
 * `--enable-bulk-memory-opt` before binaryen 121.
 */
export function featureFlags(report: VerifyReport, supported?: Set<string>): string[] {
  const names = new Set<string>();
  for (const [f, use] of Object.entries(report.features)) {
    if (use.used === true) for (const n of BINARYEN_FLAGS[f as Feature]) names.add(n);
  }
  for (const t of report.targetFeatures ?? []) {
    if (t.startsWith('+')) names.add(FROM_TARGET_FEATURE[t.slice(1)] ?? t.slice(1));
  }
  return [...names]
    .sort()
    .map((n) => `--enable-${n}`)
    .filter((flag) => !supported || supported.has(flag));
}

/** Reads the `--enable-*` flags a wasm-opt knows from its `--help` text. */
export function parseSupportedFlags(help: string): Set<string> {
  return new Set(help.match(/--enable-[a-z0-9-]+/g) ?? []);
}

/** Optimisation levels wasm-opt accepts as `-O<level>`. */
export const OPT_LEVELS = ['0', '1', '2', '3', '4', 's', 'z'] as const;
export type OptLevel = (typeof OPT_LEVELS)[number];

export interface WasmOptOptions {
  /** wasm-opt executable; default `wasm-opt` on PATH. */
  path?: string;
  level?: OptLevel;
  extraArgs?: string[];
  /** `wasmOptInfo(path)` of the same `path`, when it was asked earlier (the pipeline asks while cargo builds). */
  info?: Promise<WasmOptInfo>;
}

/**
 * What a wasm-opt says of itself: `--version` (e.g. "wasm-opt version 108"), and the `--enable-*` flags it knows
 * (`parseSupportedFlags` of its `--help`), asked at the first call only: most modules need no feature flag.
 */
export interface WasmOptInfo {
  version: string;
  supported(): Promise<Set<string>>;
}

/**
 * Asks a wasm-opt its version; `supported()` asks its `--help` once, when called. A failing `--help` gives no flags.
 * @throws UserError when `bin` does not run (with how to install binaryen).
 */
export async function wasmOptInfo(bin = 'wasm-opt'): Promise<WasmOptInfo> {
  const fix = 'Install binaryen (apt-get install binaryen, or the setup action) or pass its path (--wasm-opt)';
  const ran = await runOk({ command: bin, args: ['--version'] }, 'wasm-opt --version', { fix });
  let supported: Promise<Set<string>> | undefined;
  return {
    version: ran.stdout.trim(),
    supported: () => {
      supported ??= exec
        .run({ command: bin, args: ['--help'] })
        .then((help) => parseSupportedFlags(help.stdout))
        .catch(() => new Set<string>());
      return supported;
    },
  };
}

// wasm-opt options that name a file to write or read, run a command, or replace what is written, by every name they
// have (long and short). Source: binaryen src/tools/wasm-opt.cpp (version_108 to version_132), and
// src/passes/PrintFunctionMap.cpp (the `symbolmap` pass argument is the file it writes).
const REFUSED_OPTIONS: [names: string[], why: string][] = [
  [['--output', '-o'], 'sets the output file, which wasm-build chooses in the work dir'],
  [['--emit-text', '-S'], 'writes text instead of the binary module verify reads'],
  [['--output-source-map', '-osm'], 'writes a source map file'],
  [['--input-source-map', '-ism'], 'reads a file'],
  [['--emit-js-wrapper', '-ejw'], 'writes a file'],
  [['--emit-spec-wrapper', '-esw'], 'writes a file'],
  [['--emit-wasm2c-wrapper'], 'writes a file'],
  [['--extra-fuzz-command', '-efc'], 'runs a shell command'],
  [['--translate-to-fuzz', '-ttf'], 'replaces the module with generated code'],
  [['--initial-fuzz', '-if'], 'reads a file'],
];
const REFUSED = new Map(REFUSED_OPTIONS.flatMap(([names, why]) => names.map((n) => [n, why] as const)));
/** Passes whose argument (`--symbolmap=FILE`, `--pass-arg=symbolmap@FILE`) is a file they write. */
const FILE_PASSES = new Set(['--symbolmap', '--print-function-map']);
const FILE_PASS_ARGS = new Set(['symbolmap', 'print-function-map']);

/**
 * Which extra wasm-opt argument cannot be run and why, or undefined when all can. wasm-build runs wasm-opt on its
 * own input and output in the work dir, so no argument may name another file or a command: the options that write
 * or read files or run commands (`-o`, `--output-source-map`, `--emit-text`, `--extra-fuzz-command`, ... in both
 * spellings, as `--opt=value` or `--opt value`), a file-writing pass argument (`--symbolmap=FILE`,
 * `--pass-arg=symbolmap@FILE`), a value read from a file (binaryen's `@file` lists), and any argument holding a
 * `/` (a path, whatever option takes it). Feature flags, passes, levels and pass arguments pass. `index` is the
 * argument's position in `args`.
 * Source: binaryen src/support/command-line.cpp (how `--opt=value`, `--opt value` and `-pa KEY@VALUE` parse).
 */
export function wasmOptArgsProblem(args: readonly string[]): { index: number; why: string } | undefined {
  for (let index = 0; index < args.length; index++) {
    const arg = args[index];
    const eq = arg.indexOf('=');
    const name = eq < 0 ? arg : arg.slice(0, eq);
    const value = eq < 0 ? undefined : arg.slice(eq + 1);
    const refused = REFUSED.get(name);
    if (refused) return { index, why: `${name} ${refused}` };
    if (FILE_PASSES.has(name) && value) return { index, why: `${name} with a value writes that file` };
    if (name === '--pass-arg' || name === '-pa') {
      const pa = value ?? args[index + 1] ?? '';
      const key = pa.includes('@') ? pa.slice(0, pa.indexOf('@')) : pa;
      if (FILE_PASS_ARGS.has(key)) return { index, why: `the ${key} pass argument is a file it writes` };
      if (pa.slice(key.length + 1).startsWith('@')) return { index, why: 'a pass argument of @FILE is read from FILE' };
    }
    if (value?.startsWith('@')) return { index, why: 'a value of @FILE is read from FILE' };
    if (arg.includes('/')) return { index, why: 'an argument holding "/" names a file' };
  }
  return undefined;
}

/**
 * Refuses extra wasm-opt arguments that name a file or a command (see `wasmOptArgsProblem`).
 * @throws UserError naming the argument and why.
 */
export function checkWasmOptArgs(args: readonly string[]): void {
  const problem = wasmOptArgsProblem(args);
  if (problem) {
    throw new UserError(`Refused wasm-opt argument ${JSON.stringify(args[problem.index])}: ${problem.why}`, {
      fix: 'Pass only passes, levels, feature flags and pass arguments in wasm-opt-args: wasm-build chooses the input and output files',
    });
  }
}

/** The wasm-opt command, as data: input, `-o` output, `-O<level>`, feature flags, extra args. */
export function wasmOptCommand(input: string, output: string, flags: string[], o: WasmOptOptions = {}): Command {
  return {
    command: o.path ?? 'wasm-opt',
    args: [input, '-o', output, `-O${o.level ?? 'z'}`, ...flags, ...(o.extraArgs ?? [])],
  };
}

export interface OptimizeResult {
  outputPath: string;
  /** Module size before and after, bytes. */
  bytesBefore: number;
  bytesAfter: number;
  /** `wasm-opt --version`, e.g. "wasm-opt version 108". */
  version: string;
  command: Command;
  durationMs: number;
}

/**
 * Runs wasm-opt on a module with feature flags derived from verify's report.
 * @throws UserError for extra arguments that name a file or a command (`checkWasmOptArgs`), before running anything;
 *   when wasm-opt is missing (with how to install it) or rejects the module (its last stderr lines).
 * Source: binaryen README (wasm-opt usage); binaryen#5833 (features without target_features).
 */
export async function optimize(
  input: string,
  output: string,
  report: VerifyReport,
  o: WasmOptOptions,
  log: Log,
): Promise<OptimizeResult> {
  checkWasmOptArgs(o.extraArgs ?? []);
  const info = await (o.info ?? wasmOptInfo(o.path));
  const version = info.version;
  const flags = featureFlags(report).length ? featureFlags(report, await info.supported()) : [];
  const command = wasmOptCommand(input, output, flags, o);
  log.debug(`WasmOpt.optimize: ${[command.command, ...command.args].join(' ')}`);
  const result = await exec.run(command);
  if (result.exitCode !== 0) {
    throw new UserError(
      `wasm-opt rejected ${input} (exit code ${result.exitCode}): ${result.stderr.trim().split('\n').slice(-3).join(' | ')}`,
      {
        fix: `Check the feature flags (${flags.join(' ') || 'none'}); pass more with wasm-opt-args`,
      },
    );
  }
  return {
    outputPath: output,
    bytesBefore: statSync(input).size,
    bytesAfter: statSync(output).size,
    version,
    command,
    durationMs: result.durationMs,
  };
}
