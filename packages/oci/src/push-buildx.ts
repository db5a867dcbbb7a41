import { rmSync } from 'node:fs';
import type { Build } from '@docker/actions-toolkit/lib/buildx/build.js';
import type { Buildx } from '@docker/actions-toolkit/lib/buildx/buildx.js';
import { type Command, UserError } from '@wasm-build/kit';
import { routeAnnotations } from './layout.ts';
import { WASM_VARIANT, WASM_VARIANT_ANNOTATION } from './media-types.ts';
import { type ImageRef, isLoopbackRegistry } from './reference.ts';

/** Oldest buildx with `--annotation` (buildx v0.12.0 release notes). */
export const BUILDX_MIN_VERSION = '0.12.0';

/**
 * The Dockerfile buildx builds: FROM scratch, the module at `/<name>.wasm`, run as the entrypoint (the path crun's
 * compat-smart variant needs to end in `.wasm`).
 */
export function wasmDockerfile(name: string): string {
  return `FROM scratch\nCOPY ${name}.wasm /${name}.wasm\nENTRYPOINT ["/${name}.wasm"]\n`;
}

export interface BuildxPushOptions {
  /** Build context holding `<name>.wasm` and the Dockerfile. */
  context: string;
  dockerfile: string;
  /** Destination repository; the push is by digest, tags come after the read-back. */
  ref: ImageRef;
  /** Manifest annotations beyond compat-smart; level prefixes are routed as `routeAnnotations` says. */
  annotations?: Record<string, string>;
  /** Image config labels. */
  labels?: Record<string, string>;
  /** Where buildx writes its metadata (`containerimage.digest`): the toolkit's `Build.getMetadataFilePath()`. */
  metadataFile: string;
  /** Plain HTTP registry; defaults to true only for loopback registries. */
  insecure?: boolean;
}

/**
 * `buildx build` arguments: platform `wasi/wasm`, no provenance and no SBOM (either wraps the image in an index
 * with an `unknown/unknown` entry that wasm nodes cannot pull), the compat-smart manifest annotation and the user's,
 * labels, and an image output pushed by digest with OCI media types.
 * Source: docker buildx build reference (--platform, --provenance, --sbom, --annotation "manifest:K=V", --label,
 * --output type=image,push-by-digest=true,name-canonical=true,oci-mediatypes=true, --metadata-file);
 * docker/build-push-action's multi-platform "push by digest" example.
 */
export function buildxBuildArgs(o: BuildxPushOptions): string[] {
  const args = ['build', '--file', o.dockerfile, '--platform', 'wasi/wasm', '--provenance=false', '--sbom=false'];
  // Keys arrive as metadata-action writes them (`manifest:K`) or bare; buildx gets each once as `manifest:K`.
  const annotations = { ...routeAnnotations(o.annotations ?? {}).manifest, [WASM_VARIANT_ANNOTATION]: WASM_VARIANT };
  for (const [k, v] of Object.entries(annotations)) args.push('--annotation', `manifest:${k}=${v}`);
  for (const [k, v] of Object.entries(o.labels ?? {})) args.push('--label', `${k}=${v}`);
  const insecure = o.insecure ?? isLoopbackRegistry(o.ref.registry);
  const output = [
    'type=image',
    `name=${o.ref.registry}/${o.ref.repository}`,
    'push-by-digest=true',
    'name-canonical=true',
    'push=true',
    'oci-mediatypes=true',
    ...(insecure ? ['registry.insecure=true'] : []),
  ].join(',');
  args.push('--output', output, '--metadata-file', o.metadataFile, o.context);
  return args;
}

/** The full buildx command (`docker buildx …` or standalone `buildx …`), from the toolkit's `Buildx.getCommand`. */
export async function buildxCommand(buildx: Buildx, o: BuildxPushOptions): Promise<Command> {
  return buildx.getCommand(buildxBuildArgs(o));
}

/**
 * Refuses a buildx older than 0.12 (no `--annotation`), with the version found; `version` defaults to what the
 * toolkit's `Buildx.version()` reads. Returns the version.
 * @throws UserError naming the version found and the fix.
 */
export async function checkBuildxVersion(buildx: Buildx, version?: string): Promise<string> {
  const found = version ?? (await buildx.version());
  if (!(await buildx.versionSatisfies(`>=${BUILDX_MIN_VERSION}`, found))) {
    throw new UserError(`docker buildx ${found} is too old: annotations need buildx ${BUILDX_MIN_VERSION} or later`, {
      fix: 'Add docker/setup-buildx-action before this step, or set backend: oras or skopeo',
    });
  }
  return found;
}

export type { Build, Buildx };

/** The toolkit's classes this package uses. */
export interface DockerToolkit {
  Build: typeof Build;
  Buildx: typeof Buildx;
}

let toolkit: Promise<DockerToolkit> | undefined;

/**
 * Loads @docker/actions-toolkit's Buildx and Build, once per process, only when buildx is asked about or used: the
 * toolkit and what it pulls in (octokit, handlebars, @actions/cache: about 1.5 MB) cost a CLI run that pushes with
 * oras or skopeo several hundred ms to load. The toolkit makes its temp dir as it loads (Context._tmpDir, under
 * RUNNER_TEMP or the OS's temp dir): it is removed when the process exits, so no run leaves one behind.
 */
export function dockerToolkit(): Promise<DockerToolkit> {
  toolkit ??= Promise.all([
    import('@docker/actions-toolkit/lib/buildx/build.js'),
    import('@docker/actions-toolkit/lib/buildx/buildx.js'),
    import('@docker/actions-toolkit/lib/context.js'),
  ]).then(([build, buildx, { Context }]) => {
    process.once('exit', () => rmSync(Context.tmpDir(), { recursive: true, force: true }));
    return { Build: build.Build, Buildx: buildx.Buildx };
  });
  return toolkit;
}
