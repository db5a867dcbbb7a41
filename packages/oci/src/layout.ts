import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { UserError } from '@wasm-build/kit';
import {
  MEDIA_TYPE_CONFIG,
  MEDIA_TYPE_INDEX,
  MEDIA_TYPE_LAYER_GZIP,
  MEDIA_TYPE_MANIFEST,
  REF_NAME_ANNOTATION,
  WASM_PLATFORM,
  WASM_VARIANT,
  WASM_VARIANT_ANNOTATION,
} from './media-types.ts';
import { packTar } from './tar.ts';

/** An OCI content descriptor (image-spec descriptor.md). */
export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
  platform?: { architecture: string; os: string };
}

export interface ImageOptions {
  /** The module's bytes. */
  wasm: Uint8Array;
  /** File name in the image, without `.wasm`; the entrypoint is `/<name>.wasm`. Letters, digits, `._-`. */
  name: string;
  /** Extra arguments after the entrypoint (image config `Cmd`). */
  cmd?: string[];
  /** `KEY=value` pairs for the image config `Env`. */
  env?: string[];
  /** Manifest annotations beyond the wasm variant and `org.opencontainers.image.created`. */
  annotations?: Record<string, string>;
  /** Image config labels. */
  labels?: Record<string, string>;
  /** Creation time, seconds since the epoch: `SOURCE_DATE_EPOCH`, else 0, so the digest is reproducible. */
  created?: number;
}

export interface BuiltImage {
  manifest: Descriptor;
  config: Descriptor;
  layer: Descriptor;
  /** sha256 of the uncompressed layer tar (config `rootfs.diff_ids`). */
  diffId: string;
  /** The module's sha256 digest. */
  wasmDigest: string;
  /** Path of the module inside the image, e.g. `/hello.wasm`. */
  entrypoint: string;
  /** Every blob by digest, ready to write to a layout or push. */
  blobs: Map<string, Uint8Array>;
  manifestJson: Record<string, unknown>;
  configJson: Record<string, unknown>;
}

export function sha256(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** Reads `SOURCE_DATE_EPOCH` (reproducible-builds.org spec), 0 when unset; throws on a malformed value. */
export function sourceDateEpoch(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.SOURCE_DATE_EPOCH;
  if (raw === undefined || raw === '') return 0;
  if (!/^\d+$/.test(raw)) {
    throw new UserError(`SOURCE_DATE_EPOCH must be whole seconds since 1970: got "${raw}"`, {
      fix: 'Set it to e.g. $(git log -1 --format=%ct)',
    });
  }
  return Number(raw);
}

/** The single-file layer: a tar holding `<name>.wasm` (mode 0755, uid/gid 0, fixed mtime). */
function layerTar(name: string, wasm: Uint8Array, mtime: Date): Promise<Buffer> {
  const header = {
    name: `${name}.wasm`,
    mode: 0o755,
    mtime,
    uid: 0,
    gid: 0,
    uname: '',
    gname: '',
    type: 'file',
  } as const;
  return packTar([{ header, data: wasm }]);
}

function json(value: unknown): Uint8Array {
  return Buffer.from(JSON.stringify(value));
}

/**
 * The path a module named `name` runs as in the image: `/<name>.wasm`, the suffix crun's compat-smart variant needs.
 * Source: crun handler-utils.c (`process.args[0]` must end in `.wasm` or `.wat`).
 */
export function entrypointFor(name: string): string {
  return `/${name}.wasm`;
}

/**
 * Builds a FROM-scratch wasm image in memory: one gzip layer with `/<name>.wasm`, a config with `os: wasi`,
 * `architecture: wasm` and `Entrypoint: ["/<name>.wasm"]`, and a manifest annotated
 * `module.wasm.image/variant=compat-smart`. Deterministic: the same inputs give the same manifest digest (fixed
 * mtimes, fixed tar headers, gzip without a timestamp, JSON keys in a fixed order).
 *
 * @throws UserError for a name that cannot be a file name or would break compat-smart's `.wasm` suffix rule.
 * Source: OCI image-spec v1.1 (manifest.md, config.md, layer.md); crun handler-utils.c (compat-smart needs
 * `process.args[0]` to end in `.wasm`).
 */
export async function buildImage(o: ImageOptions): Promise<BuiltImage> {
  if (!NAME.test(o.name) || o.name.endsWith('.wasm')) {
    throw new UserError(`Invalid module name "${o.name}" for the image`, {
      fix: 'Use letters, digits, ".", "_" or "-", without the .wasm suffix; the entrypoint becomes /<name>.wasm as compat-smart requires',
    });
  }
  const entrypoint = entrypointFor(o.name);
  const created = o.created ?? 0;
  const createdIso = new Date(created * 1000).toISOString().replace('.000Z', 'Z');
  const tar = await layerTar(o.name, o.wasm, new Date(created * 1000));
  // gzip level 9, no name or mtime in the header (Node writes MTIME 0): the same tar always gives the same bytes.
  const layerBytes = gzipSync(tar, { level: 9 });
  const diffId = sha256(tar);
  const configJson = {
    created: createdIso,
    architecture: WASM_PLATFORM.architecture,
    os: WASM_PLATFORM.os,
    config: {
      Entrypoint: [entrypoint],
      ...(o.cmd?.length ? { Cmd: o.cmd } : {}),
      ...(o.env?.length ? { Env: o.env } : {}),
      ...(o.labels && Object.keys(o.labels).length ? { Labels: sortKeys(o.labels) } : {}),
    },
    rootfs: { type: 'layers', diff_ids: [diffId] },
    history: [{ created: createdIso, created_by: `wasm-build: COPY ${o.name}.wasm ${entrypoint}` }],
  };
  const configBytes = json(configJson);
  const config: Descriptor = { mediaType: MEDIA_TYPE_CONFIG, digest: sha256(configBytes), size: configBytes.length };
  const layer: Descriptor = { mediaType: MEDIA_TYPE_LAYER_GZIP, digest: sha256(layerBytes), size: layerBytes.length };
  const annotations = sortKeys({
    'org.opencontainers.image.created': createdIso,
    ...o.annotations,
    [WASM_VARIANT_ANNOTATION]: WASM_VARIANT,
  });
  const manifestJson = { schemaVersion: 2, mediaType: MEDIA_TYPE_MANIFEST, config, layers: [layer], annotations };
  const manifestBytes = json(manifestJson);
  const manifest: Descriptor = {
    mediaType: MEDIA_TYPE_MANIFEST,
    digest: sha256(manifestBytes),
    size: manifestBytes.length,
    platform: { ...WASM_PLATFORM },
  };
  const blobs = new Map<string, Uint8Array>([
    [layer.digest, layerBytes],
    [config.digest, configBytes],
    [manifest.digest, manifestBytes],
  ]);
  return { manifest, config, layer, diffId, wasmDigest: sha256(o.wasm), entrypoint, blobs, manifestJson, configJson };
}

function sortKeys(o: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * Writes an image to an OCI image layout directory (`oci-layout`, `index.json`, `blobs/sha256/…`) with the manifest
 * tagged `tag` (annotation `org.opencontainers.image.ref.name`). The directory is written beside and renamed into
 * place, so a failure never leaves a half-written layout; an existing layout at `dir` is replaced.
 * Source: OCI image-spec v1.1 image-layout.md.
 */
export function writeLayout(image: Pick<BuiltImage, 'blobs' | 'manifest'>, dir: string, tag: string): void {
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(join(tmp, 'blobs', 'sha256'), { recursive: true });
  for (const [digest, bytes] of image.blobs)
    writeFileSync(join(tmp, 'blobs', 'sha256', digest.slice('sha256:'.length)), bytes);
  writeFileSync(join(tmp, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  const index = {
    schemaVersion: 2,
    mediaType: MEDIA_TYPE_INDEX,
    manifests: [{ ...image.manifest, annotations: { [REF_NAME_ANNOTATION]: tag } }],
  };
  writeFileSync(join(tmp, 'index.json'), JSON.stringify(index));
  mkdirSync(dirname(dir), { recursive: true });
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
}

/** Reads back the manifest digest tagged `tag` in a layout's index.json. */
export function layoutManifestDigest(dir: string, tag: string): string | undefined {
  const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as { manifests: Descriptor[] };
  return index.manifests.find((m) => m.annotations?.[REF_NAME_ANNOTATION] === tag)?.digest;
}
