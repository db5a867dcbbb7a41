import { basename } from 'node:path';
import * as core from '@actions/core';
import { runAction } from '@wasm-build/kit';
import { addSmokeSummary, keyValues, readModule, smokeFailure, smokeRuns, verifyBytes } from '@wasm-build/pipeline';
import { getInputs } from './inputs.ts';

void runAction(async () => {
  const i = getInputs();
  const wasm = readModule(i.wasm);
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
