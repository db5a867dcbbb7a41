import * as core from '@actions/core';
import { actionsLog, errorLine, runAction } from '@wasm-build/kit';
import { addVerifySummary, enforceChecks, verifyModuleFile } from '@wasm-build/pipeline';
import { isThreadsTarget } from '@wasm-build/toolchain';
import { getInputs } from './inputs.ts';

void runAction(async () => {
  const { wasm, target, ...checks } = getInputs();
  const doc = await core.group('verify', async () =>
    verifyModuleFile(wasm, { ...checks, threadsTarget: target && isThreadsTarget(target) ? target : undefined }),
  );
  core.setOutput('report', JSON.stringify(doc));
  core.setOutput(
    'features-used',
    Object.entries(doc.features)
      .filter(([, u]) => u.used === true)
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
