/** What a smoke test runs and expects. */
export interface SmokeExpectations {
  /** Arguments after argv[0]. */
  args?: string[];
  /** Environment of the module (nothing is inherited). */
  env?: Record<string, string>;
  /** Expected exit code; default 0. */
  exitCode?: number;
  /** Expected stdout: a substring, or a RegExp. */
  stdout?: string | RegExp;
  /** Kill the run after this many ms; default 30 000. */
  timeoutMs?: number;
}

/**
 * One runtime's verdict. `incompatible`: runtime fit said it cannot run the module, and the run failed as predicted
 * (with the fit's reason and the runtime's own error).
 */
export interface SmokeResult {
  runtime: string;
  status: 'pass' | 'fail' | 'incompatible' | 'skipped';
  exitCode?: number;
  /** What the runtime did (ran, load-fail, link-fail, no-entry, trap, timeout) and its own error line. */
  outcome?: RunOutcome;
  /** What verify's runtime fit predicted for this runtime. */
  predicted?: { status: RuntimeFit['status']; reason: string };
  /** Set when the run and the prediction disagree: "runtime fit predicted X, the run did Y". The run counts. */
  mismatch?: string;
  /** What could not be checked, e.g. the exit code under crun. */
  note?: string;
  /** First lines of stdout and stderr. */
  stdout: string;
  stderr: string;
  /** Start to exit, ms. */
  durationMs: number;
  /** Why it failed, was skipped, or is incompatible. */
  reason?: string;
}

/** First `n` lines of a text, for results and summaries. */
export function firstLines(text: string, n = 10): string {
  return text.split('\n').slice(0, n).join('\n').trimEnd();
}

/**
 * Compares a run with the expectations; returns the reason it fails, or undefined when it passes. With
 * `checkExitCode` false (crun: its exit status is not the module's) only stdout is compared.
 */
export function checkExpectations(
  exitCode: number,
  stdout: string,
  e: SmokeExpectations,
  checkExitCode = true,
): string | undefined {
  const want = e.exitCode ?? 0;
  if (checkExitCode && exitCode !== want) return `exit code ${exitCode}, expected ${want}`;
  if (e.stdout instanceof RegExp && !e.stdout.test(stdout)) return `stdout does not match ${e.stdout}`;
  if (typeof e.stdout === 'string' && !stdout.includes(e.stdout))
    return `stdout does not contain ${JSON.stringify(e.stdout)}`;
  return undefined;
}

import type { RuntimeFit } from '@wasm-build/wasm';
import type { RunOutcome } from './outcome.ts';

export { RUNTIMES as SMOKE_RUNTIMES, type Runtime } from '@wasm-build/wasm/runtime-fit';
