import { type Command, exec, TimeoutError } from '@wasm-build/kit';
import { checkExpectations, firstLines, type SmokeExpectations, type SmokeResult } from './types.ts';

/**
 * Runs one runtime's command with the expectations' timeout and judges it: exit code and stdout against the
 * expectations. Never throws for the module's behaviour: a non-zero exit, wrong output or a timeout is a `fail`
 * result with the reason; `cleanup` runs whatever happened (crun's `delete --force`).
 * @throws UserError when the runtime's executable is missing (from exec.run).
 */
export async function judge(
  runtime: string,
  cmd: Command,
  e: SmokeExpectations,
  cleanup?: () => Promise<void>,
): Promise<SmokeResult> {
  const timeoutMs = e.timeoutMs ?? 30_000;
  try {
    const r = await exec.run(cmd, { timeoutMs });
    const reason = checkExpectations(r.exitCode, r.stdout, e);
    return {
      runtime,
      status: reason ? 'fail' : 'pass',
      exitCode: r.exitCode,
      stdout: firstLines(r.stdout),
      stderr: firstLines(r.stderr),
      durationMs: Math.round(r.durationMs),
      reason: reason && r.stderr ? `${reason}; stderr: ${firstLines(r.stderr, 2)}` : reason,
    };
  } catch (err) {
    if (!(err instanceof TimeoutError)) throw err;
    return {
      runtime,
      status: 'fail',
      stdout: '',
      stderr: '',
      durationMs: timeoutMs,
      reason: `timed out after ${timeoutMs} ms`,
    };
  } finally {
    await cleanup?.();
  }
}
