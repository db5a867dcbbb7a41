// image: a FROM-scratch wasi/wasm image holding only the module, written as an OCI layout; pushed and read back
// when an image reference is given.
import { existsSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import * as core from '@actions/core';
import { actionsLog, runAction } from '@wasm-build/kit';
import { checkLayoutDir, parseImageRef } from '@wasm-build/oci';
import {
  type AttachedStatement,
  addAttachedSummary,
  addImageSummary,
  attachStep,
  imageStep,
  keyValues,
  type PushSummary,
  pushOptions,
  pushStep,
  readModule,
  tagOptions,
  tagStep,
} from '@wasm-build/pipeline';
import { resolveManifestPath } from '@wasm-build/toolchain';
import { getInputs } from './inputs.ts';

void runAction(async () => {
  const i = getInputs();
  const log = actionsLog();
  const ref = i.image ? parseImageRef(i.image) : undefined;
  const tag = ref?.tag ?? 'latest';
  const layoutDir = resolve(i.layoutDir);
  checkLayoutDir(layoutDir); // a directory that is not an OCI layout is refused before any work
  // The crate is only where the image's source annotations come from: a workspace root without a Cargo.toml (the
  // module built elsewhere) is not an error, and the image gets no source annotations.
  const candidate = statSync(i.manifestPath, { throwIfNoEntry: false })?.isDirectory()
    ? join(i.manifestPath, 'Cargo.toml')
    : i.manifestPath;
  const manifestPath = existsSync(candidate) ? resolveManifestPath(candidate) : undefined;
  if (!manifestPath) core.info(`No Cargo.toml at "${i.manifestPath}": the image gets no source annotations`);
  const wasm = readModule(i.wasm);
  const name = i.name ?? basename(i.wasm).replace(/\.wasm$/, '');
  const { value: image } = await core.group('OCI image', () =>
    imageStep({
      wasm,
      name,
      manifestPath,
      annotations: keyValues(i.annotations),
      labels: keyValues(i.labels),
      layoutDir,
      tag,
      log,
    }),
  );
  core.setOutput('layout-dir', layoutDir);
  core.setOutput('entrypoint', image.entrypoint);
  let pushed: PushSummary | undefined;
  // Pushed by digest; the tags come last, after the statements are attached, so a failure leaves no tag.
  const push = ref ? pushOptions(i, { layoutDir, tag, ref, image, wasm, name }) : undefined;
  if (ref && push) {
    const { value } = await core.group(`push ${i.image}`, () => pushStep({ ...push, tags: [] }, log));
    pushed = value;
    core.setOutput('image-ref', value.ref);
    core.setOutput('backend', value.backend);
    if (value.bytesUploaded !== undefined) core.setOutput('bytes-uploaded', value.bytesUploaded);
  }
  const digest = pushed?.digest ?? image.manifest.digest;
  core.setOutput('digest', digest);
  let attached: AttachedStatement[] = [];
  if (ref && pushed && (i.provenance || i.sbom)) {
    const { value } = await core.group('attach provenance and SBOM (OCI referrers)', async () => {
      return attachStep(
        {
          ref,
          subject: pushed.subject,
          provenance: i.provenance,
          sbom: i.sbom,
          created: image.created,
          insecure: i.insecure,
          username: i.username,
          password: i.password,
          sources: {
            source: image.source,
            // The module was built in another step: cargo on PATH reads the crate's dependencies.
            // A job that did not build may have no crate on disk: cargo may fetch the index (not --offline).
            cargo: manifestPath
              ? { command: { command: 'cargo', args: [] }, env: {}, manifestPath, offline: false }
              : undefined,
            provenance: {
              module: { name, sha256: image.wasmDigest },
            },
          },
        },
        log,
      );
    });
    attached = value;
    for (const a of attached) core.setOutput(`${a.kind}-digest`, a.digest);
  }
  if (ref && push && pushed) {
    const proven = pushed;
    const { value } = await core.group('tag', () => tagStep(tagOptions(push, proven, image), log));
    proven.tags = value;
  }
  addImageSummary(core.summary, {
    ref: pushed?.ref,
    push: pushed,
    digest,
    entrypoint: image.entrypoint,
    annotations: (image.manifestJson.annotations ?? {}) as Record<string, string>,
    layoutDir,
  });
  if (attached.length) addAttachedSummary(core.summary, digest, attached);
  await core.summary.write();
});
