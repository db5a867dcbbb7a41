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

/** One runtime's verdict. `incompatible`: the runtime cannot run this module at all (with the reason). */
export interface SmokeResult {
  runtime: string;
  status: 'pass' | 'fail' | 'incompatible' | 'skipped';
  exitCode?: number;
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

/** Compares a run with the expectations; returns the reason it fails, or undefined when it passes. */
export function checkExpectations(exitCode: number, stdout: string, e: SmokeExpectations): string | undefined {
  const want = e.exitCode ?? 0;
  if (exitCode !== want) return `exit code ${exitCode}, expected ${want}`;
  if (e.stdout instanceof RegExp && !e.stdout.test(stdout)) return `stdout does not match ${e.stdout}`;
  if (typeof e.stdout === 'string' && !stdout.includes(e.stdout))
    return `stdout does not contain ${JSON.stringify(e.stdout)}`;
  return undefined;
}

export { RUNTIMES as SMOKE_RUNTIMES, type Runtime } from '@wasm-build/wasm';
