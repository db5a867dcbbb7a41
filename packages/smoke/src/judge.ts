import { type Command, exec, TimeoutError } from '@wasm-build/kit';
import type { RuntimeFit } from '@wasm-build/wasm';
import type { ProcessResult, RunOutcome } from './outcome.ts';
import { checkExpectations, firstLines, type SmokeExpectations, type SmokeResult } from './types.ts';

/** How to read one runtime's run. */
export interface JudgeOptions {
  /** Reads the outcome class from exit status and output (outcome.ts). */
  classify: (r: ProcessResult) => RunOutcome;
  /** False where the exit status is not the module's (crun exits 0 after proc_exit(N)). Default true. */
  exitCodes?: boolean;
  /** Runs whatever happened (crun's `delete --force`). */
  cleanup?: () => Promise<void>;
}

/**
 * Runs one runtime's command with the expectations' timeout and judges it: the outcome class first (a load, link,
 * entry or trap failure is a `fail` with the runtime's own error line), then exit code and stdout against the
 * expectations. Never throws for the module's behaviour: a non-zero exit, wrong output or a timeout is a `fail`
 * result with the reason. Where exit codes are not the module's (crun), an expected code other than 0 is reported
 * as not checkable and the pass rests on stdout.
 * @throws UserError when the runtime's executable is missing (from exec.run).
 */
export async function judge(
  runtime: string,
  cmd: Command,
  e: SmokeExpectations,
  o: JudgeOptions,
): Promise<SmokeResult> {
  const timeoutMs = e.timeoutMs ?? 30_000;
  try {
    // stdin /dev/null, as RUNTIME-OUTCOMES.tsv measured and as a container started without stdin has it.
    const r = await exec.run(cmd, { timeoutMs, nullStdin: true });
    const outcome = o.classify(r);
    const exitCodes = o.exitCodes ?? true;
    const want = e.exitCode ?? 0;
    const note =
      !exitCodes && want !== 0
        ? `expect-exit-code ${want} cannot be checked under ${runtime} (it exits 0 after proc_exit); the pass rests on stdout`
        : undefined;
    const reason =
      outcome.class === 'ran'
        ? checkExpectations(r.exitCode, r.stdout, e, exitCodes)
        : `${outcome.class}: ${outcome.error ?? `exit ${r.exitCode}`}`;
    return {
      runtime,
      status: reason ? 'fail' : 'pass',
      exitCode: r.exitCode,
      outcome,
      stdout: firstLines(r.stdout),
      stderr: firstLines(r.stderr),
      durationMs: Math.round(r.durationMs),
      reason: reason && r.stderr && outcome.class === 'ran' ? `${reason}; stderr: ${firstLines(r.stderr, 2)}` : reason,
      ...(note ? { note } : {}),
    };
  } catch (err) {
    if (!(err instanceof TimeoutError)) throw err;
    return {
      runtime,
      status: 'fail',
      outcome: { class: 'timeout' },
      stdout: '',
      stderr: '',
      durationMs: timeoutMs,
      reason: `timed out after ${timeoutMs} ms`,
    };
  } finally {
    await o.cleanup?.();
  }
}

const STARTED = new Set(['ran', 'trap']);
const NOT_STARTED = new Set(['load-fail', 'link-fail', 'no-entry']);

/**
 * Holds a run against what runtime fit predicted. A predicted `cannot`/`invalid` that failed to load, link or start
 * is `incompatible` (the fit's reason and the runtime's error side by side). A run that contradicts the prediction
 * (predicted to run but failed to start, or predicted not to but ran) gets `mismatch`: the fit is wrong and the run's
 * outcome is what counts. Timeouts, skips and `unknown` predictions are left as they are.
 */
export function reconcile(r: SmokeResult, fit: RuntimeFit): SmokeResult {
  const predicted = { status: fit.status, reason: fit.reason };
  const out: SmokeResult = { ...r, predicted };
  const cls = r.outcome?.class;
  const expectedToRun = fit.status === 'runs' || fit.status === 'needs-flag';
  // Not run (no tool, or it could not be had): the prediction stands, so a predicted incompatibility still fails
  // unless allowed.
  if (!cls && (fit.status === 'cannot' || fit.status === 'invalid')) {
    return { ...out, status: 'incompatible', reason: `${fit.reason} (predicted; not run: ${r.reason})` };
  }
  if (r.status === 'skipped' || !cls || fit.status === 'unknown') return out;
  const did = `${cls}${cls === 'ran' && r.exitCode !== undefined ? ` (exit ${r.exitCode})` : ''}${r.outcome?.error ? `: ${r.outcome.error}` : ''}`;
  if (!expectedToRun && NOT_STARTED.has(cls)) {
    return { ...out, status: 'incompatible', reason: `${fit.reason}; the run: ${did}` };
  }
  if ((expectedToRun && NOT_STARTED.has(cls)) || (!expectedToRun && STARTED.has(cls))) {
    return { ...out, mismatch: `runtime fit predicted ${fit.status}, the run did ${did}` };
  }
  return out;
}
