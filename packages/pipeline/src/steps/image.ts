import type { Log } from '@wasm-build/kit';
import {
  type BuiltImage,
  buildImage,
  type ImageRef,
  pushWithSkopeo,
  type ReadBackProof,
  readBack,
  sourceDateEpoch,
  writeLayout,
} from '@wasm-build/oci';
import { sourceAnnotations } from '../metadata.ts';
import type { StepOutcome } from './outcome.ts';

export interface ImageStepOptions {
  wasm: Uint8Array;
  /** Module name: the image runs `/<name>.wasm`. */
  name: string;
  /** Cargo.toml the source annotations are read for (git or GITHUB_* facts). */
  manifestPath?: string;
  annotations: Record<string, string>;
  labels: Record<string, string>;
  layoutDir: string;
  /** Tag of the image in the layout's index. */
  tag: string;
}

/**
 * The image step: a FROM-scratch wasm image (wasi/wasm, compat-smart) written as an OCI layout. Bytes = all blobs.
 * @throws UserError for a module name that cannot be an entrypoint, or a bad SOURCE_DATE_EPOCH.
 */
export async function imageStep(o: ImageStepOptions): Promise<StepOutcome<BuiltImage>> {
  const source = o.manifestPath ? await sourceAnnotations(o.manifestPath) : {};
  const img = await buildImage({
    wasm: o.wasm,
    name: o.name,
    annotations: { ...source, ...o.annotations },
    labels: o.labels,
    created: sourceDateEpoch(),
  });
  writeLayout(img, o.layoutDir, o.tag);
  const total = [...img.blobs.values()].reduce((n, b) => n + b.length, 0);
  return {
    value: img,
    detail: `${img.manifest.digest} (wasi/wasm, ${img.entrypoint}) in ${o.layoutDir}`,
    bytes: total,
  };
}

/**
 * The push step: copies the layout to the registry with skopeo (digests preserved), then reads the image back and
 * proves digest, platform, annotation and layer sha256.
 * @throws UserError from pushWithSkopeo (with the registry's reason) or readBack (what differs).
 */
export async function pushStep(
  o: { layoutDir: string; tag: string; ref: ImageRef; image: BuiltImage; insecure?: boolean },
  log: Log,
): Promise<StepOutcome<ReadBackProof>> {
  const ref = { ...o.ref, tag: o.tag };
  await pushWithSkopeo({ layoutDir: o.layoutDir, layoutTag: o.tag, ref, insecure: o.insecure }, log);
  const p = await readBack(
    ref,
    { digest: o.image.manifest.digest, wasmDigest: o.image.wasmDigest, entrypoint: o.image.entrypoint },
    { insecure: o.insecure },
  );
  return { value: p, detail: `${p.ref} read back: digest, ${p.platform}, compat-smart, layer sha256 match` };
}
