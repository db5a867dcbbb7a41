import { UserError } from '@wasm-build/kit';
import { runUnderNode, type SmokeExpectations, type SmokeResult } from '@wasm-build/smoke';
import type { VerifyReport } from '@wasm-build/wasm';
import type { StepOutcome } from './outcome.ts';

/** Runs the module under every smoke-test runtime (Node's WASI today) and returns a result per runtime. */
export async function smokeRuns(
  wasm: Uint8Array,
  entrypoint: string,
  report: VerifyReport,
  expectations: SmokeExpectations,
): Promise<SmokeResult[]> {
  return [await runUnderNode(wasm, entrypoint, report, expectations)];
}

/** The first result that did not pass, as a UserError with the runtime, status and reason; undefined if all passed. */
export function smokeFailure(results: SmokeResult[]): UserError | undefined {
  const r = results.find((x) => x.status !== 'pass');
  if (!r) return undefined;
  return new UserError(`${r.runtime}: ${r.status}: ${r.reason}`, {
    fix: r.status === 'incompatible' ? 'Smoke-test it under a runtime that supports it' : undefined,
  });
}

/**
 * The smoke-test step: runs the module (as the registry served it, when pushed) and checks exit code and stdout.
 * @throws UserError with the runtime, status and reason when a runtime does not pass.
 */
export async function smokeStep(
  wasm: Uint8Array,
  entrypoint: string,
  report: VerifyReport,
  expectations: SmokeExpectations,
  pulled: boolean,
): Promise<StepOutcome<SmokeResult[]>> {
  const results = await smokeRuns(wasm, entrypoint, report, expectations);
  const failure = smokeFailure(results);
  if (failure) throw failure;
  return {
    value: results,
    detail: results
      .map((r) => `${r.runtime}: exit ${r.exitCode}, stdout "${r.stdout.split('\n')[0]}"`)
      .concat(pulled ? ['(module as pulled)'] : [])
      .join(' '),
  };
}
