// The front door, `uses: org/wasm-build@v1`: the whole pipeline in one step (root action.yml runs this bundle).
import * as core from '@actions/core';
import { actionsLog, runAction } from '@wasm-build/kit';
import {
  addAttachedSummary,
  addBuildSummary,
  addImageSummary,
  addSmokeSummary,
  addStageSummary,
  addVerifySummary,
  runPipeline,
  runtimeToolsSchema,
} from '@wasm-build/pipeline';
import { restoreHook } from './cache.ts';
import { getInputs } from './inputs.ts';

void runAction(async () => {
  const i = getInputs();
  const { binaryenVersion, binaryenBaseUrl, cache, ...options } = i;
  const binaryen =
    options.optimize && !options.wasmOpt ? { version: binaryenVersion, baseUrl: binaryenBaseUrl } : undefined;
  // The runtime inputs (paths, versions, pinned sha256) as the smoke step takes them; zod keeps only those keys.
  const tools = { ...runtimeToolsSchema.parse(i), install: true };
  const log = actionsLog();
  // The cache is restored between setup and build: its key is the toolchain setup installed, not PATH's rustc.
  const afterSetup = cache ? restoreHook(log) : undefined;
  const r = await runPipeline(options, log, { binaryen, tools, afterSetup });

  if (r.wasmPath) {
    core.setOutput('wasm-path', r.wasmPath);
    core.setOutput('wasm-size', r.wasmSize);
    core.setOutput('wasm-sha256', r.wasmSha256?.replace(/^sha256:/, ''));
  }
  if (r.report) core.setOutput('report', JSON.stringify(r.report));
  if (r.layoutDir) core.setOutput('layout-dir', r.layoutDir);
  if (r.pushed) {
    core.setOutput('image-ref', r.pushed.ref);
    core.setOutput('backend', r.pushed.backend);
  }
  if (r.pushed || r.digest) core.setOutput('digest', r.pushed?.digest ?? r.digest);
  core.setOutput('smoke-results', JSON.stringify(r.smoke));
  for (const a of r.attached ?? []) core.setOutput(`${a.kind}-digest`, a.digest);

  const s = addStageSummary(core.summary, r.rows);
  if (r.optimize && r.wasmPath) {
    addBuildSummary(s, {
      name: r.wasmPath.replace(/^.*\//, '').replace(/\.wasm$/, ''),
      path: r.wasmPath,
      before: r.optimize.bytesBefore,
      after: r.optimize.bytesAfter,
      wasmOpt: r.optimize.version,
    });
  }
  if (r.report && r.wasmPath) addVerifySummary(s, r.report, r.wasmPath);
  if (r.image && r.layoutDir) {
    addImageSummary(s, {
      ref: r.pushed?.ref,
      push: r.pushed,
      digest: r.pushed?.digest ?? r.image.manifest.digest,
      entrypoint: r.image.entrypoint,
      annotations: (r.image.manifestJson.annotations ?? {}) as Record<string, string>,
      layoutDir: r.layoutDir,
    });
  }
  if (r.smoke.length) addSmokeSummary(s, r.smoke);
  if (r.attached?.length && r.pushed) addAttachedSummary(s, r.pushed.digest, r.attached);
  await s.write();
  // A failing stage already raised its error annotation (actionsLog); a failure before any stage has not.
  if (!r.ok) {
    if (r.rows.some((x) => x.status === 'failed')) process.exitCode = 1;
    else core.setFailed(r.error ?? 'wasm-build failed');
  }
});
