// smoke-test: pull the image back (or read its layout, or pack a module alone) and run it under each runtime.
import { basename } from 'node:path';
import * as core from '@actions/core';
import { actionsLog, runAction } from '@wasm-build/kit';
import {
  buildImage,
  builtToRunnable,
  entrypointModule,
  parseImageRef,
  pullImage,
  RegistryClient,
  readLayoutImage,
  sha256,
} from '@wasm-build/oci';
import {
  addSmokeSummary,
  credentials,
  machineTools,
  readModule,
  smokeExpectations,
  smokeStep,
  verifyModule,
} from '@wasm-build/pipeline';
import { getInputs } from './inputs.ts';

void runAction(async () => {
  const i = getInputs();
  const log = actionsLog();
  const image = await core.group('Get the image', async () => {
    if (i.image) {
      const ref = parseImageRef(i.image);
      // Pulled into memory (bounded), checked, and handed to the smoke test: no layout is written to disk.
      return pullImage(ref, new RegistryClient(ref, { insecure: i.insecure, credentials: credentials(i) }));
    }
    if (i.layoutDir) return readLayoutImage(i.layoutDir);
    const name = basename(i.wasm!).replace(/\.wasm$/, '');
    return builtToRunnable(await buildImage({ wasm: readModule(i.wasm!), name }));
  });
  const source = i.image ?? i.layoutDir ?? i.wasm!;
  const module = await entrypointModule(image);
  const report = await verifyModule(module, `${source} (${image.entrypoint[0]})`, {});
  const step = await core.group('smoke-test', () =>
    smokeStep(
      image,
      report,
      {
        runtimes: i.runtimes,
        allowIncompatible: i.allowIncompatible,
        expectations: smokeExpectations(i),
        preopen: i.preopen,
        tools: machineTools({ ...i, install: true }, log),
        moduleSha256: sha256(module),
      },
      source,
      log,
    ),
  );
  core.setOutput('results', JSON.stringify(step.value));
  await addSmokeSummary(core.summary, step.value).write();
  if (step.failure) throw step.failure;
});
