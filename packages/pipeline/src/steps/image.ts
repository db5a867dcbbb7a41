import { type Log, UserError } from '@wasm-build/kit';
import {
  type BackendProbe,
  type BuiltImage,
  buildImage,
  chooseBackend,
  type ImageRef,
  machineProbe,
  type PushBackend,
  type PushResult,
  pushImage,
  type ReadBackProof,
  type RunnableImage,
  sourceDateEpoch,
  writeLayout,
} from '@wasm-build/oci';
import { installOras } from '@wasm-build/toolchain';
import { sourceAnnotations } from '../metadata.ts';
import { credentials, keyValues, type PipelineOptions } from '../options.ts';
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

export interface PushStepOptions {
  layoutDir: string;
  /** Tag of the image in the layout's index. */
  tag: string;
  ref: ImageRef;
  image: BuiltImage;
  /** The module and its name (buildx builds from them). */
  wasm: Uint8Array;
  name: string;
  annotations: Record<string, string>;
  labels: Record<string, string>;
  insecure?: boolean;
  backend: PushBackend | 'auto';
  /** Every tag to write after the read-back (the reference's own tag first). */
  tags: string[];
  username?: string;
  password?: string;
  /** oras release to install when oras is chosen and not on PATH. */
  orasVersion: string;
  /** What is on this machine; default `machineProbe()`. */
  probe?: BackendProbe;
}

/**
 * The push step's options from the options every front door shares (annotations, labels, insecure, backend, tags,
 * login, oras version) and what the image step made. Tags: the reference's own first, then `o.tags`, each once.
 */
export function pushOptions(
  o: Pick<
    PipelineOptions,
    'annotations' | 'labels' | 'insecure' | 'backend' | 'tags' | 'username' | 'password' | 'orasVersion'
  >,
  made: Pick<PushStepOptions, 'layoutDir' | 'tag' | 'ref' | 'image' | 'wasm' | 'name'>,
): PushStepOptions {
  return {
    ...made,
    annotations: keyValues(o.annotations),
    labels: keyValues(o.labels),
    insecure: o.insecure,
    backend: o.backend,
    tags: [...new Set([made.tag, ...o.tags])],
    username: o.username,
    password: o.password,
    orasVersion: o.orasVersion,
  };
}

/** What the push proved, without the bytes: for results, outputs and JSON. */
export type PushSummary = Omit<PushResult, 'proof' | 'command'> &
  Omit<ReadBackProof, 'wasm' | 'manifest' | 'image'> & { reason: string };

/**
 * The push step: picks the backend (buildx, oras or skopeo; `auto` says why), pushes by digest with retries, reads
 * the image back and proves digest, platform, annotation and layer sha256, then tags it. Returns the summary and
 * the image as the registry served it (for the smoke test).
 * @throws UserError for a username without a password (or the reverse), and from pushImage (registry, cause, fix).
 */
export async function pushStep(
  o: PushStepOptions,
  log: Log,
): Promise<StepOutcome<PushSummary & { image: RunnableImage }>> {
  if (!o.username !== !o.password) {
    throw new UserError(`Only ${o.username ? 'username' : 'password'} was given for ${o.ref.registry}`, {
      fix: 'Give both username and password, or neither to use the docker config (docker/login-action)',
    });
  }
  const probe = o.probe ?? machineProbe();
  const choice = await chooseBackend(o.backend, probe);
  log.info(`push backend: ${choice.backend} (${choice.reason})`);
  let tool: string | undefined;
  if (choice.backend === 'oras' && (choice.install || !(await probe.onPath('oras'))))
    tool = (await installOras({ version: o.orasVersion }, log)).oras;
  const r = await pushImage(
    {
      backend: choice.backend,
      image: o.image,
      wasm: o.wasm,
      name: o.name,
      layoutDir: o.layoutDir,
      layoutTag: o.tag,
      ref: o.ref,
      tags: o.tags,
      annotations: o.annotations,
      labels: o.labels,
      insecure: o.insecure,
      credentials: credentials(o),
      tool,
    },
    log,
  );
  const { proof, command: _command, ...rest } = r;
  const { wasm: _wasm, manifest: _manifest, image, ...served } = proof;
  const uploaded =
    r.bytesUploaded === undefined
      ? ''
      : `; uploaded ${r.bytesUploaded} bytes in ${r.blobsUploaded} blobs (${r.blobsPresent} already there)`;
  return {
    value: { ...rest, ...served, reason: choice.reason, image },
    detail:
      `${r.ref} via ${r.backend}${uploaded}${r.attempts > 1 ? ` after ${r.attempts} attempts` : ''}; ` +
      `read back: digest, ${proof.platform}, compat-smart, layer sha256 match; tagged ${r.tags.join(', ') || '(none)'}`,
  };
}
