import { accessSync, constants, statSync, writeFileSync } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';
import {
  type Command,
  checkInterrupted,
  exec,
  formatCommand,
  isTransientText,
  type Log,
  lastLines,
  type RetryPolicy,
  retry,
  type TempDir,
  TransientError,
  tempDir,
  UserError,
} from '@wasm-build/kit';
import { buildxPluginMayRun } from './buildx-plugin.ts';
import { type AuthConfig, type Credentials, writeAuthConfig } from './docker-config.ts';
import type { BuiltImage } from './layout.ts';
import {
  BUILDX_MIN_VERSION,
  type Build,
  type Buildx,
  buildxCommand,
  checkBuildxVersion,
  dockerToolkit,
  wasmDockerfile,
} from './push-buildx.ts';
import { type BlobsSent, blobsSent, pushBuiltImage } from './push-builtin.ts';
import { orasCopyCommand } from './push-oras.ts';
import { skopeoCopyCommand } from './push-skopeo.ts';
import type { PushBackend } from './push-types.ts';
import { formatImageRef, type ImageRef } from './reference.ts';
import { type ReadBackExpectation, type ReadBackProof, RegistryClient, readBack } from './registry.ts';

/** Maps a push tool's stderr to a cause and a fix a user can act on. */
export function explainPushFailure(stderr: string, registry: string): { cause: string; fix: string } {
  if (/connection refused|no such host|dial tcp|i\/o timeout|network is unreachable/i.test(stderr)) {
    return {
      cause: `registry ${registry} is unreachable`,
      fix: `Check the registry address "${registry}" and that it is running`,
    };
  }
  if (/unauthorized|authentication required|\b401\b/i.test(stderr)) {
    return {
      cause: `registry ${registry} refused the credentials (401)`,
      fix: `Check the username/password inputs (or docker login for ${registry}) and that they may push to this repository`,
    };
  }
  if (/denied|\b403\b|forbidden/i.test(stderr)) {
    return {
      cause: `registry ${registry} denied the push (403)`,
      fix: 'Check that the account may push to this repository (packages: write on GitHub)',
    };
  }
  if (/server gave HTTP response to HTTPS client|http: server gave HTTP/i.test(stderr)) {
    return { cause: `registry ${registry} speaks plain HTTP`, fix: 'Set insecure: true for this registry' };
  }
  if (isTransientText(stderr)) {
    return {
      cause: `registry ${registry} kept failing: ${lastLines(stderr, 2)}`,
      fix: 'The registry is overloaded or down; retry later',
    };
  }
  return { cause: lastLines(stderr, 2), fix: 'See the push tool’s message above' };
}

/** The backend a push uses and why (the step summary's reason). */
export interface BackendChoice {
  backend: PushBackend;
  reason: string;
}

/** What is on this machine, for `backend: auto`. */
export interface BackendProbe {
  /** The buildx version when docker buildx (or standalone buildx) runs, else undefined. */
  buildxVersion(): Promise<string | undefined>;
  /** True when oras runs from PATH (`oras version` exits 0). */
  onPath(tool: 'oras'): Promise<boolean>;
}

let sharedProbe: BackendProbe | undefined;

/**
 * Probes for buildx and `oras version`, each at most once: what a probe learned is kept for the rest of the run (the
 * same promise is answered to every later caller). Without `buildx` it returns one probe shared by the whole process,
 * so every stage and front door that asks again runs no second command, and buildx costs one process: `docker buildx
 * version` (when a docker-buildx plugin file may run it, `buildxPluginMayRun`), else, where no docker is on PATH, a
 * standalone `buildx version`, whose output gives the version as the toolkit's `Buildx.parseVersion` reads it. That is
 * the command the toolkit's `Buildx` then runs for the push (standalone only where there is no docker). With `buildx`
 * (tests) it asks that one's `isAvailable` and `version`. Nothing runs until a method is called (`chooseBackend` calls
 * none for an explicit backend).
 */
export function machineProbe(buildx?: Buildx): BackendProbe {
  if (!buildx) {
    sharedProbe ??= probeWith(async () => {
      const stdout =
        (buildxPluginMayRun() ? await output('docker', ['buildx', 'version']) : undefined) ??
        (findOnPath('docker') === undefined ? await output('buildx', ['version']) : undefined);
      if (stdout === undefined) return undefined;
      // The toolkit loads only when a buildx answers: where none does there is no buildx, and nothing loads.
      const { Buildx } = await dockerToolkit();
      try {
        return Buildx.parseVersion(stdout);
      } catch {
        return undefined; // an answer with no version in it: not a buildx the toolkit can drive
      }
    });
    return sharedProbe;
  }
  return probeWith(async () => ((await buildx.isAvailable().catch(() => false)) ? buildx.version() : undefined));
}

/**
 * The stdout of `command args` when it runs and exits 0 within 10 s, else undefined. A command that is not on PATH is
 * not started: each process start costs the run milliseconds, and most machines lack one of the tools.
 */
const output = async (command: string, args: string[]): Promise<string | undefined> => {
  if (findOnPath(command) === undefined) return undefined;
  return exec
    .run({ command, args }, { timeoutMs: 10_000 })
    .then((r) => (r.exitCode === 0 ? r.stdout : undefined))
    .catch(() => undefined);
};

function probeWith(findVersion: () => Promise<string | undefined>): BackendProbe {
  let version: Promise<string | undefined> | undefined;
  let oras: Promise<boolean> | undefined;
  return {
    buildxVersion: () => {
      version ??= findVersion();
      return version;
    },
    onPath: () => {
      oras ??= output('oras', ['version']).then((out) => out !== undefined);
      return oras;
    },
  };
}

/**
 * The first executable file named `tool` in `PATH` (a directory list separated by `:`), found by looking at the
 * file system only: no command runs. For an explicit backend, where no probe should run; a broken binary found
 * here fails at the push with its own error. Returns its absolute path, or undefined when there is none.
 */
export function findOnPath(tool: string, path = process.env.PATH ?? ''): string | undefined {
  for (const dir of path.split(delimiter)) {
    if (!dir || !isAbsolute(dir)) continue;
    const file = join(dir, tool);
    try {
      if (statSync(file).isFile()) {
        accessSync(file, constants.X_OK);
        return file;
      }
    } catch {
      // Not here (missing, not executable, unreadable directory): look on.
    }
  }
  return undefined;
}

/**
 * `backend: auto`: docker buildx when it is 0.12 or later, else oras when it is on PATH, else the built-in registry
 * client (`builtin`: no tool to find or install). skopeo is used only when asked for. Returns the backend and the
 * reason, for the step summary.
 */
export async function chooseBackend(requested: PushBackend | 'auto', probe: BackendProbe): Promise<BackendChoice> {
  if (requested !== 'auto') return { backend: requested, reason: `backend: ${requested} was asked for` };
  // Both questions at once (each process start costs tens of ms); the answers are read in order of preference.
  const [v, oras] = await Promise.all([probe.buildxVersion(), probe.onPath('oras')]);
  if (v && (await new (await dockerToolkit()).Buildx().versionSatisfies(`>=${BUILDX_MIN_VERSION}`, v)))
    return { backend: 'buildx', reason: `docker buildx ${v} found (≥ ${BUILDX_MIN_VERSION})` };
  const noBuildx = v ? `buildx ${v} is older than ${BUILDX_MIN_VERSION}` : 'no docker buildx';
  if (oras) return { backend: 'oras', reason: `${noBuildx}; oras found on PATH` };
  return { backend: 'builtin', reason: `${noBuildx}, no oras on PATH; the built-in registry client` };
}

export interface PushOptions {
  backend: PushBackend;
  image: BuiltImage;
  /** The module and its name, for buildx (which builds the image itself from a Dockerfile). */
  wasm: Uint8Array;
  name: string;
  /** The OCI layout the image stage wrote, and the image's tag in it (skopeo, oras). */
  layoutDir: string;
  layoutTag: string;
  /** Destination repository; its tag is ignored, `tags` are applied after the read-back. */
  ref: ImageRef;
  tags: string[];
  /** Manifest annotations and config labels (buildx; the layout already carries them). */
  annotations?: Record<string, string>;
  labels?: Record<string, string>;
  insecure?: boolean;
  /** Login from inputs; without it the tools and the read-back use the runner's docker config. */
  credentials?: Credentials;
  /** Path of the oras or skopeo binary; default its name. */
  tool?: string;
  buildx?: Buildx;
  /**
   * The buildx version a probe already found (`BackendProbe.buildxVersion` for `backend: auto`), so it is not asked
   * again; default: `buildx version` runs once, to refuse a buildx older than 0.12.
   */
  buildxVersion?: string;
  /** Retries of the push command and of each registry request; default 4 attempts, 500 ms doubling. */
  retry?: RetryPolicy;
  /**
   * A client for `ref`'s repository made with these options (`insecure`, `credentials`, `retry`), whose login and
   * connection are reused (`RegistryClient.prepare` while earlier stages ran); default a new one.
   */
  client?: RegistryClient;
}

export interface PushResult {
  backend: PushBackend;
  /** The manifest digest as the registry serves it. */
  digest: string;
  /** `registry/repository@digest`. */
  ref: string;
  /** Tags that now point at `digest`. */
  tags: string[];
  /** Attempts the push command took (1 for builtin, whose requests retry one by one). */
  attempts: number;
  /** Bytes of the blobs the registry lacked before the push (builtin, skopeo, oras; buildx reports none). */
  bytesUploaded?: number;
  blobsUploaded?: number;
  blobsPresent?: number;
  /** The push tool's command; undefined for builtin, which starts none. */
  command?: Command;
  proof: ReadBackProof;
}

/**
 * Pushes an image and proves it: the push tool copies it by digest (retrying 429, 5xx and reset connections with
 * backoff, a bounded number of times), or for `builtin` our registry client uploads the blobs and the manifest by
 * digest (`pushBuiltImage`), the registry's copy is read back by digest (digest, `wasi/wasm`, the compat-smart
 * annotation, and the layer: for builtin, skopeo and oras, which push our layout byte for byte, the manifest must
 * name the layer we built and a HEAD must answer its size and digest, so nothing but the manifest and config is
 * downloaded; for buildx, which builds its own layer, the layer is downloaded and the module's sha256 checked), and
 * only then is each tag PUT to that manifest. `proof.runnable()` fetches the layer for a smoke test, once. With `tags: []`
 * the image is pushed by digest only, to be tagged by `tagImage` once it passed its smoke tests. A push that fails
 * or does not prove leaves no tag; credentials given as options live in a 0600 file deleted afterwards.
 *
 * @throws UserError naming the registry and the cause: unreachable, 401 (check the credentials), 403 (may not push),
 *   plain HTTP, kept failing after N attempts, or what the read-back found different.
 * Source: OCI distribution-spec v1.1 (push by digest, then PUT /manifests/TAG); docker/build-push-action's
 * push-by-digest pattern.
 */
export async function pushImage(o: PushOptions, log: Log): Promise<PushResult> {
  const repo: ImageRef = { registry: o.ref.registry, repository: o.ref.repository };
  // Both are removed in `finally`, and by the interrupt handler if a signal stops the process mid-push.
  let auth: AuthConfig | undefined;
  let scratchDir: TempDir | undefined;
  try {
    // The tools read the login from a file; the built-in client holds it in memory only.
    if (o.credentials && o.backend !== 'builtin') auth = writeAuthConfig(o.ref.registry, o.credentials);
    const client =
      o.client ?? new RegistryClient(repo, { insecure: o.insecure, credentials: o.credentials, retry: o.retry });
    const target = formatImageRef(repo);
    if (formatImageRef(client.ref) !== target)
      throw new Error(`pushImage: the client is for ${formatImageRef(client.ref)}, not ${target}`);
    let command: Command | undefined;
    let env: Record<string, string> | undefined;
    let build: Build | undefined;
    let sent: BlobsSent | undefined;
    if (o.backend === 'buildx') {
      const kit = await dockerToolkit();
      const buildx = o.buildx ?? new kit.Buildx();
      log.info(`docker buildx ${await checkBuildxVersion(buildx, o.buildxVersion)}`);
      build = new kit.Build({ buildx });
      scratchDir = tempDir('wasm-build-push-');
      const scratch = scratchDir.path;
      writeFileSync(join(scratch, `${o.name}.wasm`), o.wasm);
      writeFileSync(join(scratch, 'Dockerfile'), wasmDockerfile(o.name));
      command = await buildxCommand(buildx, {
        context: scratch,
        dockerfile: join(scratch, 'Dockerfile'),
        ref: repo,
        annotations: o.annotations,
        labels: o.labels,
        metadataFile: build.getMetadataFilePath(),
        insecure: o.insecure,
      });
      // buildx reads logins from DOCKER_CONFIG; its builders stay where they are (BUILDX_CONFIG).
      if (auth) env = { DOCKER_CONFIG: auth.dir, BUILDX_CONFIG: kit.Buildx.configDir };
    } else if (o.backend === 'builtin') {
      log.debug(`Push.pushImage: the built-in registry client pushes ${target}@${o.image.manifest.digest}`);
      // The client's errors name the registry, the request and the cause, as the tools' blob checks below do.
      sent = await pushBuiltImage(client, o.image);
    } else {
      const blobs = [o.image.config, o.image.layer];
      sent = blobsSent(blobs, await Promise.all(blobs.map((b) => client.blobExists(b.digest))));
      const push = {
        layoutDir: o.layoutDir,
        layoutTag: o.layoutTag,
        ref: repo,
        digest: o.image.manifest.digest,
        insecure: o.insecure,
        authFile: auth?.file,
        tool: o.tool,
      };
      command = o.backend === 'oras' ? orasCopyCommand(push) : skopeoCopyCommand(push);
    }
    const attempts = command ? await runPushCommand(command, env, o, target, log) : 1;
    const digest = build ? build.resolveDigest() : o.image.manifest.digest;
    if (!digest) {
      throw new UserError(`docker buildx reported no digest for ${target} in ${build?.getMetadataFilePath()}`, {
        fix: 'Use buildx 0.12 or later, or set backend: builtin, oras or skopeo',
      });
    }
    // builtin, skopeo and oras push the layout byte for byte: the layer is the one we built, proven by the manifest naming
    // it and a HEAD, not downloaded. buildx builds its own layer, so its content is proven by downloading it.
    const built = build ? {} : { layerDigest: o.image.layer.digest, configDigest: o.image.config.digest };
    const proof = await readBack(
      repo,
      { digest, wasmDigest: o.image.wasmDigest, entrypoint: o.image.entrypoint, ...built },
      client,
    );
    await writeTags(client, proof, o.tags);
    return {
      backend: o.backend,
      digest,
      ref: proof.ref,
      tags: o.tags,
      attempts,
      ...sent,
      command,
      proof,
    };
  } finally {
    auth?.remove();
    scratchDir?.remove();
  }
}

/**
 * Runs a push tool's command, retrying a transient failure (429, 5xx, reset connections, as its stderr tells) with
 * backoff; returns the attempts it took.
 * @throws UserError naming the target, the backend and the cause (explainPushFailure), after the last attempt for a
 *   transient one.
 */
async function runPushCommand(
  command: Command,
  env: Record<string, string> | undefined,
  o: PushOptions,
  target: string,
  log: Log,
): Promise<number> {
  log.debug(`Push.pushImage: ${formatCommand(command)}`);
  const { attempts } = await retry(
    async () => {
      const r = await exec.run({ ...command, env });
      if (r.exitCode === 0) return;
      const { cause, fix } = explainPushFailure(r.stderr || r.stdout, o.ref.registry);
      if (isTransientText(r.stderr)) throw new TransientError(cause);
      throw new UserError(`Push of ${target} with ${o.backend} failed: ${cause}`, { fix });
    },
    {
      attempts: o.retry?.attempts ?? 4,
      minTimeoutMs: o.retry?.minTimeoutMs ?? 500,
      onRetry: (n, e) => log.warn(`push attempt ${n} failed (${(e as Error).message}); retrying`),
    },
  ).catch((e: unknown) => {
    if (!(e instanceof TransientError)) throw e;
    throw new UserError(
      `Push of ${target} with ${o.backend} failed (after ${o.retry?.attempts ?? 4} attempts): ${e.message}`,
      {
        fix: 'No tag was written. The registry is overloaded or down; retry later',
      },
    );
  });
  return attempts;
}

/** PUTs the proven manifest bytes under each tag; a signal between proof and tag stops before the next tag. */
async function writeTags(client: RegistryClient, proof: ReadBackProof, tags: string[]): Promise<void> {
  for (const tag of tags) {
    checkInterrupted();
    await client.putManifest(tag, proof.manifest.bytes, proof.manifest.mediaType);
  }
}

export interface TagOptions {
  /** The repository; its tag, if any, is ignored (the image is read by `expected.digest`). */
  ref: ImageRef;
  /** What the read-back must find: the manifest digest, the module's sha256 and its path in the image. */
  expected: ReadBackExpectation;
  /** Tags to write, in order; each must be a valid tag. */
  tags: string[];
  insecure?: boolean;
  /** Login; without it the runner's docker config is used. */
  credentials?: Credentials;
  retry?: RetryPolicy;
}

/**
 * Promotes an image that was pushed by digest: reads it back by digest and proves it again (digest, `wasi/wasm`,
 * the compat-smart annotation, a single layer holding the module with the expected sha256), then PUTs the served
 * manifest bytes under each tag. With `expected.layerDigest` (the pipeline's tag step: the layer the push proved)
 * the layer is proven by a HEAD and not downloaded; without it (`promote`, which knows the module's sha256 only)
 * it is downloaded and the module hashed (`readBack`). This is the last step of a release, after the smoke tests passed: until it runs,
 * no tag points at the image. Returns the proof and the tags written.
 *
 * @throws UserError from the read-back (what differed, or the registry's error) or for an invalid tag; no tag is
 *   written when the proof fails.
 * Source: OCI distribution-spec v1.1 (PUT /v2/NAME/manifests/TAG with the manifest's bytes); docker/build-push-action's
 * push-by-digest then `imagetools create` pattern for multi-job releases.
 */
export async function tagImage(o: TagOptions, log: Log): Promise<{ proof: ReadBackProof; tags: string[] }> {
  const repo: ImageRef = { registry: o.ref.registry, repository: o.ref.repository };
  const client = new RegistryClient(repo, { insecure: o.insecure, credentials: o.credentials, retry: o.retry });
  const proof = await readBack(repo, o.expected, client);
  log.debug(`Push.tagImage: ${proof.ref} proved; tagging ${o.tags.join(', ') || '(none)'}`);
  await writeTags(client, proof, o.tags);
  return { proof, tags: o.tags };
}
