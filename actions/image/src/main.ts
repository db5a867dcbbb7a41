// image: a FROM-scratch wasi/wasm image holding only the module, written as an OCI layout; pushed and read back
// when an image reference is given.
import { existsSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import * as core from '@actions/core';
import { actionsLog, runAction } from '@wasm-build/kit';
import { parseImageRef } from '@wasm-build/oci';
import { addImageSummary, imageStep, keyValues, pushStep, readModule } from '@wasm-build/pipeline';
import { resolveManifestPath } from '@wasm-build/toolchain';
import { getInputs } from './inputs.ts';

void runAction(async () => {
  const i = getInputs();
  const log = actionsLog();
  const ref = i.image ? parseImageRef(i.image) : undefined;
  const tag = ref?.tag ?? 'latest';
  const layoutDir = resolve(i.layoutDir);
  const manifestPath = existsSync(i.manifestPath) ? resolveManifestPath(i.manifestPath) : undefined;
  const { value: image } = await core.group('OCI image', () =>
    imageStep({
      wasm: readModule(i.wasm),
      name: i.name ?? basename(i.wasm).replace(/\.wasm$/, ''),
      manifestPath,
      annotations: keyValues(i.annotations),
      labels: keyValues(i.labels),
      layoutDir,
      tag,
    }),
  );
  core.setOutput('layout-dir', layoutDir);
  core.setOutput('entrypoint', image.entrypoint);
  let pushedRef: string | undefined;
  let digest = image.manifest.digest;
  if (ref) {
    const { value: proof } = await core.group(`push ${i.image}`, () =>
      pushStep({ layoutDir, tag, ref, image, insecure: i.insecure }, log),
    );
    pushedRef = proof.ref;
    digest = proof.digest;
    core.setOutput('image-ref', proof.ref);
  }
  core.setOutput('digest', digest);
  await addImageSummary(core.summary, {
    ref: pushedRef,
    digest,
    entrypoint: image.entrypoint,
    annotations: (image.manifestJson.annotations ?? {}) as Record<string, string>,
    layoutDir,
  }).write();
});
