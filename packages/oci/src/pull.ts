import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '@wasm-build/kit';
import { type BuiltImage, type Descriptor, writeLayout } from './layout.ts';
import { MEDIA_TYPE_DOCKER_LIST, MEDIA_TYPE_INDEX, REF_NAME_ANNOTATION, WASM_PLATFORM } from './media-types.ts';
import { formatImageRef, type ImageRef } from './reference.ts';
import type { RegistryClient } from './registry.ts';
import { layerTar, tarEntries } from './tar.ts';

/** An image as a runtime needs it: its layers, the process from its config, and the manifest's annotations. */
export interface RunnableImage {
  /** Manifest digest. */
  digest: string;
  /** `os/architecture` from the config. */
  platform: string;
  /** Config `Entrypoint` and `Cmd`: the process is Entrypoint followed by Cmd (image-spec config.md). */
  entrypoint: string[];
  cmd: string[];
  /** `KEY=value` pairs. */
  env: string[];
  workingDir?: string;
  annotations: Record<string, string>;
  /** Layer blobs in order, compressed as stored, each checked against its digest. */
  layers: { mediaType: string; digest: string; bytes: Buffer }[];
}

interface ImageManifest {
  mediaType?: string;
  manifests?: Descriptor[];
  config: Descriptor;
  layers: Descriptor[];
  annotations?: Record<string, string>;
}

function digestOf(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** Picks the `wasi/wasm` manifest of an index. @throws UserError listing the platforms when there is none. */
function pickWasm(index: ImageManifest, where: string): Descriptor {
  const all = index.manifests ?? [];
  const hit = all.find(
    (m) => m.platform?.os === WASM_PLATFORM.os && m.platform.architecture === WASM_PLATFORM.architecture,
  );
  if (!hit) {
    const seen = all.map((m) => `${m.platform?.os ?? '?'}/${m.platform?.architecture ?? '?'}`).join(', ');
    throw new UserError(`${where} is an index with no wasi/wasm image (platforms: ${seen || 'none'})`, {
      fix: 'Build with --platform wasi/wasm, and with provenance and SBOM off',
    });
  }
  return hit;
}

/**
 * Builds a `RunnableImage` from a manifest and a blob getter: config (Entrypoint, Cmd, Env, WorkingDir), layers,
 * annotations; what a pull, a layout read and the push's read-back share. An index is resolved to its `wasi/wasm`
 * manifest. `blobs`, when given, collects every blob fetched (to write a layout).
 * @throws UserError for an index with no wasi/wasm image, and what `get` throws.
 */
export async function runnableFromManifest(
  manifestBytes: Buffer,
  get: (digest: string) => Promise<Buffer>,
  where: string,
  blobs?: Map<string, Uint8Array>,
): Promise<RunnableImage> {
  let bytes = manifestBytes;
  let m = JSON.parse(bytes.toString()) as ImageManifest;
  if (m.manifests || m.mediaType === MEDIA_TYPE_INDEX || m.mediaType === MEDIA_TYPE_DOCKER_LIST) {
    bytes = await get(pickWasm(m, where).digest);
    m = JSON.parse(bytes.toString()) as ImageManifest;
  }
  blobs?.set(digestOf(bytes), bytes);
  const configBytes = await get(m.config.digest);
  blobs?.set(m.config.digest, configBytes);
  const config = JSON.parse(configBytes.toString()) as {
    os?: string;
    architecture?: string;
    config?: { Entrypoint?: string[] | null; Cmd?: string[] | null; Env?: string[] | null; WorkingDir?: string };
  };
  const layers: RunnableImage['layers'] = [];
  for (const l of m.layers) {
    const b = await get(l.digest);
    blobs?.set(l.digest, b);
    layers.push({ mediaType: l.mediaType, digest: l.digest, bytes: b });
  }
  return {
    digest: digestOf(bytes),
    platform: `${config.os}/${config.architecture}`,
    entrypoint: config.config?.Entrypoint ?? [],
    cmd: config.config?.Cmd ?? [],
    env: config.config?.Env ?? [],
    workingDir: config.config?.WorkingDir || undefined,
    annotations: m.annotations ?? {},
    layers,
  };
}

/**
 * Pulls `ref` (by its digest when it has one, else its tag) into an OCI layout at `layoutDir` (tagged `tag`) and
 * returns it ready to run. Every blob is checked against its digest by the client.
 * @throws UserError from the registry client (unreachable, 401/403, not found) or for an index with no wasi/wasm.
 * Source: OCI distribution-spec v1.1 "Pulling manifests"/"Pulling blobs"; image-spec image-layout.md.
 */
export async function pullImage(
  ref: ImageRef,
  client: RegistryClient,
  layoutDir: string,
  tag = 'latest',
): Promise<RunnableImage> {
  const m = await client.manifest(ref.digest ?? ref.tag ?? 'latest');
  const blobs = new Map<string, Uint8Array>();
  const img = await runnableFromManifest(m.bytes, (d) => client.blob(d), formatImageRef(ref), blobs);
  const bytes = blobs.get(img.digest)!;
  writeLayout(
    {
      blobs,
      manifest: {
        mediaType: JSON.parse(Buffer.from(bytes).toString()).mediaType,
        digest: img.digest,
        size: bytes.length,
      },
    },
    layoutDir,
    tag,
  );
  return img;
}

/**
 * Reads the image tagged `tag` (else the only one) from an OCI layout, checking each blob's digest.
 * @throws UserError when the directory is not a layout, the tag is missing, or a blob is corrupt.
 * Source: OCI image-spec v1.1 image-layout.md (index.json, blobs/sha256/…).
 */
export async function readLayoutImage(layoutDir: string, tag?: string): Promise<RunnableImage> {
  const indexFile = join(layoutDir, 'index.json');
  if (!existsSync(indexFile)) {
    throw new UserError(`Not an OCI image layout: "${layoutDir}" has no index.json`, {
      fix: 'Pass the layout-dir output of the image action',
    });
  }
  const index = JSON.parse(readFileSync(indexFile, 'utf8')) as { manifests: Descriptor[] };
  const d = tag
    ? index.manifests.find((m) => m.annotations?.[REF_NAME_ANNOTATION] === tag)
    : index.manifests.length === 1
      ? index.manifests[0]
      : undefined;
  if (!d) {
    const tags = index.manifests.map((m) => m.annotations?.[REF_NAME_ANNOTATION] ?? m.digest).join(', ');
    throw new UserError(`No image ${tag ? `tagged "${tag}" ` : ''}in ${layoutDir} (it holds: ${tags || 'nothing'})`, {
      fix: 'Pass the tag the image action wrote',
    });
  }
  const get = async (digest: string) => {
    const bytes = readFileSync(join(layoutDir, 'blobs', ...digest.split(':')));
    if (digestOf(bytes) !== digest)
      throw new UserError(`Blob ${digest} in ${layoutDir} is corrupt`, { fix: 'Write the layout again' });
    return bytes;
  };
  return runnableFromManifest(await get(d.digest), get, layoutDir);
}

/** An image built in memory (`buildImage`) as a `RunnableImage`, for smoke-testing a module without a registry. */
export function builtToRunnable(img: BuiltImage): RunnableImage {
  return {
    digest: img.manifest.digest,
    platform: `${WASM_PLATFORM.os}/${WASM_PLATFORM.architecture}`,
    entrypoint: [img.entrypoint],
    cmd: [],
    env: [],
    annotations: (img.manifestJson.annotations ?? {}) as Record<string, string>,
    layers: [
      {
        mediaType: img.layer.mediaType,
        digest: img.layer.digest,
        bytes: Buffer.from(img.blobs.get(img.layer.digest)!),
      },
    ],
  };
}

/**
 * The bytes of the module the image runs (Entrypoint[0]) from its layers, the topmost layer holding it winning.
 * @throws UserError when the image has no Entrypoint or no layer holds it.
 */
export async function entrypointModule(img: RunnableImage): Promise<Buffer> {
  const path = img.entrypoint[0]?.replace(/^\//, '');
  if (!path)
    throw new UserError(`Image ${img.digest} has no Entrypoint`, { fix: 'Build the image with wasm-build image' });
  for (const l of [...img.layers].reverse()) {
    const hit = (await tarEntries(layerTar(l))).get(path);
    if (hit?.type === 'file') return hit.bytes;
  }
  throw new UserError(`Image ${img.digest} runs /${path}, but no layer holds it`, { fix: 'Rebuild the image' });
}
