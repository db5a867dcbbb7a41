// setup: the Rust toolchain and WASI target, and binaryen's wasm-opt from its release through the tool cache.
import { dirname } from 'node:path';
import * as core from '@actions/core';
import { actionsLog, runAction } from '@wasm-build/kit';
import { setupStep } from '@wasm-build/pipeline';
import { resolveManifestPath } from '@wasm-build/toolchain';
import { getInputs } from './inputs.ts';

void runAction(async () => {
  const i = getInputs();
  const log = actionsLog();
  const { value: r, detail } = await core.group('Rust toolchain, target and binaryen', () =>
    setupStep(
      {
        manifestPath: resolveManifestPath(i.manifestPath),
        toolchain: i.toolchain,
        target: i.target,
        threads: i.threads,
        binaryen: { version: i.binaryenVersion, baseUrl: i.binaryenBaseUrl },
      },
      log,
    ),
  );
  const v = r.tc.version;
  core.setOutput('rustc-version', `${v.major}.${v.minor}.${v.patch}`);
  core.setOutput('toolchain', r.tc.spec ?? '');
  core.setOutput('target', r.target);
  if (r.wasmOpt) {
    core.addPath(dirname(r.wasmOpt));
    core.setOutput('wasm-opt-path', r.wasmOpt);
  }
  core.setOutput('binaryen-cached', String(r.binaryenCached ?? false));
  await core.summary.addHeading('setup', 3).addRaw(`<p>${detail}</p>`, true).write();
});
