// smoke-test: run the module and check its exit code and stdout; a row per runtime in the step summary.
import { existsSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import * as core from '@actions/core';
import { runAction, UserError } from '@wasm-build/kit';
import { addSmokeSummary, keyValues, smokeFailure, smokeRuns, verifyBytes } from '@wasm-build/pipeline';
import { getInputs } from './inputs.ts';

void runAction(async () => {
  const i = getInputs();
  if (!existsSync(i.wasm))
    throw new UserError(`Module not found: "${i.wasm}"`, { fix: 'Pass the wasm-path output of the build action' });
  const wasm = readFileSync(i.wasm);
  const report = verifyBytes(wasm, i.wasm);
  const expectations = {
    args: i.smokeArgs,
    env: keyValues(i.smokeEnv),
    exitCode: i.expectExitCode,
    stdout: i.expectStdout,
    timeoutMs: i.timeoutMs,
  };
  const results = await core.group('smoke-test', () => smokeRuns(wasm, `/${basename(i.wasm)}`, report, expectations));
  core.setOutput('results', JSON.stringify(results));
  await addSmokeSummary(core.summary, results).write();
  const failure = smokeFailure(results);
  if (failure) throw failure;
});
