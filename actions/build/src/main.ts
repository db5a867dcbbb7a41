// build: cargo build for the WASI target, then wasm-opt with the feature flags the module needs.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as core from '@actions/core';
import { actionsLog, runAction } from '@wasm-build/kit';
import { sha256 } from '@wasm-build/oci';
import { addBuildSummary, buildStep, copyModule, optimizeStep, setupStep } from '@wasm-build/pipeline';
import { resolveManifestPath } from '@wasm-build/toolchain';
import { getInputs } from './inputs.ts';

void runAction(async () => {
  const i = getInputs();
  const log = actionsLog();
  const manifestPath = resolveManifestPath(i.manifestPath);
  const { value: setup } = await core.group('Rust toolchain and target', () =>
    setupStep({ manifestPath, toolchain: i.toolchain, target: i.target, threads: i.threads }, log),
  );
  const { value: built } = await core.group('cargo build', () =>
    buildStep(
      setup.tc,
      { manifestPath, target: setup.target, profile: i.profile, package: i.package, bin: i.bin, features: i.features },
      log,
    ),
  );
  const out = join(resolve(i.workDir), `${built.name}.wasm`);
  const opt = i.optimize
    ? (
        await core.group('wasm-opt', () =>
          optimizeStep(built.wasmPath, out, { path: i.wasmOpt, level: i.optLevel, extraArgs: i.wasmOptArgs }, log),
        )
      ).value
    : undefined;
  if (!opt) copyModule(built.wasmPath, out);
  const wasm = readFileSync(out);
  const before = opt?.bytesBefore ?? wasm.length;
  core.setOutput('wasm-path', out);
  core.setOutput('wasm-size', wasm.length);
  core.setOutput('wasm-sha256', sha256(wasm).replace(/^sha256:/, ''));
  core.setOutput('size-before', before);
  core.setOutput('name', built.name);
  await addBuildSummary(core.summary, {
    name: built.name,
    path: out,
    before,
    after: wasm.length,
    wasmOpt: opt?.version,
  }).write();
});
