import { UserError } from '@wasm-build/kit';
import { runUnderNode, type SmokeExpectations, type SmokeResult } from '@wasm-build/smoke';
import type { VerifyReport } from '@wasm-build/wasm';
import type { StepOutcome } from './outcome.ts';

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
  const r = await runUnderNode(wasm, entrypoint, report, expectations);
  if (r.status !== 'pass') {
    throw new UserError(`${r.runtime}: ${r.status}: ${r.reason}`, {
      fix: r.status === 'incompatible' ? 'Smoke-test it under a runtime that supports it' : undefined,
    });
  }
  const firstLine = r.stdout.split('\n')[0];
  return {
    value: [r],
    detail: `${r.runtime}: exit ${r.exitCode}, stdout "${firstLine}"${pulled ? ' (module as pulled)' : ''}`,
  };
}
