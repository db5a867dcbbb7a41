import { dirname } from 'node:path';
import { exec, type Log, UserError } from '@wasm-build/kit';
import {
  type BackendChoice,
  type BackendProbe,
  type BuiltImage,
  buildImage,
  chooseBackend,
  type Descriptor,
  findOnPath,
  type ImageRef,
  machineProbe,
  type PushBackend,
  type PushResult,
  pushImage,
  type ReadBackExpectation,
  type ReadBackProof,
  RegistryClient,
  type RunnableImage,
  routeAnnotations,
  sourceDateEpoch,
  tagImage,
  writeLayout,
} from '@wasm-build/oci';
import { installOras } from '@wasm-build/toolchain';
import { inGitCheckout, sourceAnnotations } from '../metadata.ts';
import { credentials, keyValues, type PipelineOptions, pushTags } from '../options.ts';
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
  /** Where annotations and labels left out (index-level ones) are reported; they are in `detail` too. */
  log?: Log;
  /** `sourceFacts(manifestPath)` when it was asked earlier (the pipeline asks while cargo builds); default here. */
  facts?: Promise<SourceFacts>;
}

/**
 * The image's creation time, seconds since the epoch: `SOURCE_DATE_EPOCH` when set; else the time of the commit
 * checked out in the crate's directory (`git log -1 --format=%ct`), which is as reproducible and gives a real date;
 * else (no crate, not a git checkout (`inGitCheckout`), no git) 0.
 * @throws UserError for a malformed SOURCE_DATE_EPOCH.
 * Source: reproducible-builds.org SOURCE_DATE_EPOCH spec ("the last modification of the source", e.g. the commit
 * time); git-log(1) `%ct` (committer date, UNIX timestamp).
 */
export async function imageCreated(manifestPath?: string, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  if (env.SOURCE_DATE_EPOCH !== undefined && env.SOURCE_DATE_EPOCH !== '') return sourceDateEpoch(env);
  if (!manifestPath || !inGitCheckout(dirname(manifestPath), env)) return 0;
  const r = await exec
    .run({ command: 'git', args: ['log', '-1', '--format=%ct'], cwd: dirname(manifestPath) })
    .catch(() => undefined);
  const out = r?.exitCode === 0 ? r.stdout.trim() : '';
  return /^\d{1,12}$/.test(out) ? Number(out) : 0;
}

/** What the image says it was made from: the crate's source facts and its creation time. */
export interface SourceFacts {
  /** `sourceAnnotations` of the crate: org.opencontainers.image.source and .revision, as git or GITHUB_* tell them. */
  source: Record<string, string>;
  /** `imageCreated`: seconds since the epoch (SOURCE_DATE_EPOCH, else the commit time, else 0). */
  created: number;
}

/**
 * `sourceAnnotations` and `imageCreated` of the crate, asked at the same time; no source facts without a crate.
 * @throws UserError for a malformed SOURCE_DATE_EPOCH.
 */
export async function sourceFacts(manifestPath?: string): Promise<SourceFacts> {
  const [source, created] = await Promise.all([
    manifestPath ? sourceAnnotations(manifestPath) : {},
    imageCreated(manifestPath),
  ]);
  return { source, created };
}

/** The image as built, with what it was made from (`SourceFacts`). */
export type ImageStepResult = BuiltImage & SourceFacts;

/**
 * The image step: a FROM-scratch wasm image (wasi/wasm, compat-smart) written as an OCI layout. Bytes = all blobs.
 * Annotations and labels may carry docker/metadata-action's level prefixes (`manifest:`, `index:`, …): they are
 * routed by `routeAnnotations`; index-level ones are left out and reported in `detail` and on `log`. The creation
 * time is `imageCreated(manifestPath)`.
 * @throws UserError for a module name that cannot be an entrypoint, or a bad SOURCE_DATE_EPOCH.
 */
export async function imageStep(o: ImageStepOptions): Promise<StepOutcome<ImageStepResult>> {
  const { source, created } = await (o.facts ?? sourceFacts(o.manifestPath));
  const annotations = routeAnnotations(o.annotations);
  const labels = routeAnnotations(o.labels);
  const ignored = [...annotations.ignored, ...labels.ignored];
  for (const i of ignored) o.log?.info(`Notice: "${i.key}" is left out: ${i.why}`);
  const img = await buildImage({
    wasm: o.wasm,
    name: o.name,
    annotations: { ...source, ...annotations.manifest },
    labels: labels.manifest,
    created,
  });
  writeLayout(img, o.layoutDir, o.tag);
  const total = [...img.blobs.values()].reduce((n, b) => n + b.length, 0);
  return {
    value: { ...img, source, created },
    detail:
      `${img.manifest.digest} (wasi/wasm, ${img.entrypoint}) in ${o.layoutDir}` +
      (ignored.length ? `; left out (no image index): ${ignored.map((i) => i.key).join(', ')}` : ''),
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
  /** `chooseBackend(backend, probe)` when it was asked earlier (the pipeline asks while cargo builds); default here. */
  choice?: Promise<BackendChoice>;
  /** `prepareRegistry(…)` of these options when it was started earlier (logged in while wasm-opt runs). */
  registry?: Promise<RegistryClient>;
}

/**
 * The registry client the push step uses for `o.ref`, made with its options (insecure, login) and logged in ahead
 * (`RegistryClient.prepare`: the registry's challenge and a pull-and-push token, and the connection opened). For a
 * front door to start while earlier stages run, and hand to `pushStep` as `registry`. Never rejects: a failed
 * login is met again, and reported, by the push. `signal` stops the login (the job ended first).
 */
export async function prepareRegistry(
  o: Pick<PushStepOptions, 'ref' | 'insecure' | 'username' | 'password'>,
  signal?: AbortSignal,
): Promise<RegistryClient> {
  const repo = { registry: o.ref.registry, repository: o.ref.repository };
  const client = new RegistryClient(repo, { insecure: o.insecure, credentials: credentials(o) });
  await client.prepare(signal);
  return client;
}

/**
 * The push step's options from the options every front door shares (annotations, labels, insecure, backend, tags,
 * login, oras version) and what the image step made. Tags: the reference's own first, then `o.tags` (tags or
 * references of the same repository, as docker/metadata-action writes them: `pushTags`), each once. When the
 * reference has no tag and `o.tags` gives some, only those are written (no implicit `latest`, as build-push-action
 * with metadata-action's tags). Annotations and labels keep metadata-action's level prefixes for the push backend
 * to route (`routeAnnotations`).
 * @throws UserError from pushTags (a reference of another repository).
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
    tags: pushedTags(made, pushTags(made.ref, o.tags)),
    username: o.username,
    password: o.password,
    orasVersion: o.orasVersion,
  };
}

function pushedTags(made: Pick<PushStepOptions, 'tag' | 'ref'>, extra: string[]): string[] {
  const own = made.ref.tag || extra.length === 0 ? [made.tag] : [];
  return [...new Set([...own, ...extra])];
}

/** What the push proved, without the bytes: for results, outputs and JSON. */
export type PushSummary = Omit<PushResult, 'proof' | 'command'> &
  Omit<ReadBackProof, 'wasm' | 'manifest' | 'runnable'> & {
    reason: string;
    /** The manifest as the registry serves it (media type, digest, size in bytes): the referrers' subject. */
    subject: Descriptor;
  };

/**
 * The push step: picks the backend (buildx, oras, builtin or skopeo; `auto` probes the machine once per process, an
 * explicit backend runs no probe), pushes by digest with retries, reads the image back and proves digest, platform,
 * annotation and layer (by a HEAD when it is the layer we built, else by downloading it), then tags it. Returns the
 * summary and `runnable`, which fetches the image as the registry serves it for the smoke test: the layer is
 * downloaded at its first call only, so a run without a smoke test never downloads it.
 * @throws UserError for a username without a password (or the reverse), and from pushImage (registry, cause, fix).
 */
export async function pushStep(
  o: PushStepOptions,
  log: Log,
): Promise<StepOutcome<PushSummary & { runnable: () => Promise<RunnableImage> }>> {
  if (!o.username !== !o.password) {
    throw new UserError(`Only ${o.username ? 'username' : 'password'} was given for ${o.ref.registry}`, {
      fix: 'Give both username and password, or neither to use the docker config (docker/login-action)',
    });
  }
  if (o.ref.lowercasedFrom) {
    log.info(
      `Notice: image name "${o.ref.lowercasedFrom}" has uppercase letters, which registries refuse: pushing as ${o.ref.registry}/${o.ref.repository}`,
    );
  }
  // An explicit backend runs no probe: chooseBackend returns it as asked, and oras is looked for on PATH by file.
  const probe = o.probe ?? machineProbe();
  const choice = await (o.choice ?? chooseBackend(o.backend, probe));
  log.info(`push backend: ${choice.backend} (${choice.reason})`);
  let tool: string | undefined;
  // `auto` picks oras only when it answers on PATH; asked for by name and not there, it is installed.
  if (choice.backend === 'oras' && !findOnPath('oras'))
    tool = (await installOras({ version: o.orasVersion }, log)).oras;
  // What `auto` learned of buildx (memoized by the probe), so the push does not ask buildx its version again.
  const buildxVersion = o.backend === 'auto' && choice.backend === 'buildx' ? await probe.buildxVersion() : undefined;
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
      annotations: routeAnnotations(o.annotations).manifest,
      labels: routeAnnotations(o.labels).manifest,
      insecure: o.insecure,
      credentials: credentials(o),
      tool,
      buildxVersion,
      client: await o.registry,
    },
    log,
  );
  const { proof, command: _command, ...rest } = r;
  const { wasm: _wasm, manifest, runnable, ...served } = proof;
  const subject = { mediaType: manifest.mediaType, digest: proof.digest, size: manifest.bytes.length };
  const uploaded =
    r.bytesUploaded === undefined
      ? ''
      : `; uploaded ${r.bytesUploaded} bytes in ${r.blobsUploaded} blobs (${r.blobsPresent} already there)`;
  return {
    value: { ...rest, ...served, reason: choice.reason, subject, runnable },
    detail:
      `${r.ref} via ${r.backend}${uploaded}${r.attempts > 1 ? ` after ${r.attempts} attempts` : ''}; ` +
      `read back: digest, ${proof.platform}, compat-smart, ` +
      `${proof.layerProof === 'head' ? 'layer digest and size (HEAD)' : 'layer sha256'} match; ` +
      (r.tags.length ? `tagged ${r.tags.join(', ')}` : 'by digest only, not tagged yet'),
  };
}

export interface TagStepOptions {
  ref: ImageRef;
  /**
   * The digest the push proved, the module's sha256 and its path in the image; with the layer (and config) digest
   * the push proved, the layer is checked by a HEAD instead of being downloaded again.
   */
  expected: ReadBackExpectation;
  tags: string[];
  insecure?: boolean;
  username?: string;
  password?: string;
}

/**
 * The tag step's options after a push: the push's own reference, tags and login, and what its read-back proved
 * (the digest served, and the layer and config digests, which the tag step then checks by HEADs, not downloads).
 */
export function tagOptions(
  made: Pick<PushStepOptions, 'ref' | 'tags' | 'insecure' | 'username' | 'password'>,
  pushed: Pick<PushSummary, 'digest' | 'layerDigest' | 'configDigest'>,
  image: Pick<BuiltImage, 'wasmDigest' | 'entrypoint'>,
): TagStepOptions {
  return {
    ref: made.ref,
    expected: {
      digest: pushed.digest,
      wasmDigest: image.wasmDigest,
      entrypoint: image.entrypoint,
      layerDigest: pushed.layerDigest,
      configDigest: pushed.configDigest,
    },
    tags: made.tags,
    insecure: made.insecure,
    username: made.username,
    password: made.password,
  };
}

/**
 * The tag step, run after the smoke test passed (or right after the push with the smoke test off): reads the
 * image back by digest, proves it again (digest, wasi/wasm, compat-smart, and the layer: by a HEAD of its digest
 * and size when `expected.layerDigest` is given, else its module's sha256) and writes each tag.
 * Until it runs, no tag points at the pushed image. Returns the tags written.
 * @throws UserError from tagImage (read-back mismatch, registry error, invalid tag); no tag is written then.
 */
export async function tagStep(o: TagStepOptions, log: Log): Promise<StepOutcome<string[]>> {
  const r = await tagImage(
    { ref: o.ref, expected: o.expected, tags: o.tags, insecure: o.insecure, credentials: credentials(o) },
    log,
  );
  return { value: r.tags, detail: `${r.proof.ref} read back again; tagged ${r.tags.join(', ') || '(none)'}` };
}
