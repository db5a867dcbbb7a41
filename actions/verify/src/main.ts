// verify: prove what the module uses, run the checks, and say which runtimes can run it.
import { existsSync, readFileSync } from 'node:fs';
import * as core from '@actions/core';
import { actionsLog, errorLine, runAction, UserError } from '@wasm-build/kit';
import { addVerifySummary, enforceChecks, verifyModule } from '@wasm-build/pipeline';
import { isThreadsTarget } from '@wasm-build/toolchain';
import { getInputs } from './inputs.ts';

void runAction(async () => {
  const { wasm, target, ...checks } = getInputs();
  if (!existsSync(wasm))
    throw new UserError(`Module not found: "${wasm}"`, { fix: 'Pass the wasm-path output of the build action' });
  const doc = await core.group('verify', async () =>
    verifyModule(readFileSync(wasm), wasm, {
      ...checks,
      threadsTarget: target && isThreadsTarget(target) ? target : undefined,
    }),
  );
  core.setOutput('report', JSON.stringify(doc));
  core.setOutput(
    'features-used',
    Object.entries(doc.features)
      .filter(([, u]) => u.used)
      .map(([f]) => f)
      .join(','),
  );
  core.setOutput('threads', String(doc.features.threads.used));
  await addVerifySummary(core.summary, doc, wasm).write();
  try {
    enforceChecks(doc.checks, actionsLog());
  } catch (e) {
    // One annotation on the module, titled, with the evidence and the fix; then fail the step.
    core.error(errorLine(e), { title: 'wasm-build verify failed', file: wasm });
    process.exitCode = 1;
  }
});
