import { statSync } from 'node:fs';
import { type Command, exec, type Log, runOk, UserError } from '@wasm-build/kit';
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
 * @throws UserError when wasm-opt is missing (with how to install it) or rejects the module (its last stderr lines).
 * Source: binaryen README (wasm-opt usage); binaryen#5833 (features without target_features).
 */
export async function optimize(
  input: string,
  output: string,
  report: VerifyReport,
  o: WasmOptOptions,
  log: Log,
): Promise<OptimizeResult> {
  const bin = o.path ?? 'wasm-opt';
  const fix = 'Install binaryen (apt-get install binaryen, or the setup action) or pass its path (--wasm-opt)';
  const version = (await runOk({ command: bin, args: ['--version'] }, 'wasm-opt --version', { fix })).stdout.trim();
  const help = await exec.run({ command: bin, args: ['--help'] });
  const flags = featureFlags(report, parseSupportedFlags(help.stdout));
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
