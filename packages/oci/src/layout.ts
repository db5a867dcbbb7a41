import { createHash } from 'node:crypto';
import {
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
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
  /**
   * Manifest annotations beyond the wasm variant and `org.opencontainers.image.created` (which one given here
   * overrides). Level prefixes are routed by `routeAnnotations`: `manifest:` is stripped, index-level keys dropped.
   */
  annotations?: Record<string, string>;
  /** Image config labels. */
  labels?: Record<string, string>;
  /**
   * Creation time, seconds since the epoch (`org.opencontainers.image.created`, config `created`, layer mtimes); default
   * 0. The pipeline gives `SOURCE_DATE_EPOCH`, else the commit time of the crate's checkout (`imageCreated`): either
   * keeps the digest reproducible.
   */
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

/** Where a buildx-style annotation key prefix puts the annotation (docker buildx build `--annotation` reference). */
export type AnnotationLevel = 'manifest' | 'index' | 'manifest-descriptor' | 'index-descriptor';

/** An annotation left out of the image because of its level or platform, and why. */
export interface IgnoredAnnotation {
  /** The key as given, prefix included, e.g. `index:org.opencontainers.image.title`. */
  key: string;
  why: string;
}

const LEVEL = String.raw`(?:manifest|index|manifest-descriptor|index-descriptor)(?:\[[^\]]*\])?`;
const LEVEL_PREFIX = new RegExp(`^(${LEVEL}(?:,${LEVEL})*):(.+)$`, 's');
const ONE_LEVEL = /^([a-z-]+)(?:\[([^\]]*)\])?$/;

/**
 * Routes annotations given with buildx's level prefixes, as docker/metadata-action's `annotations` output writes them
 * (`manifest:org.opencontainers.image.title=app`, and also `index:…` with `DOCKER_METADATA_ANNOTATIONS_LEVELS=
 * manifest,index`), into what a single-manifest wasm image can carry. A key with no prefix, or whose levels include
 * `manifest` or `manifest[wasi/wasm]` (`manifest:`, `index,manifest:`), is a manifest annotation, prefix stripped.
 * `index:`, `index-descriptor:` and `manifest-descriptor:` alone need an image index, which we never push (the image
 * is one manifest, pushed by digest, and the layout's index.json is local): those are returned in `ignored`, as is a
 * `manifest[<other platform>]:` key. A later value for the same stripped key wins, as with repeated `--annotation`.
 * Source: docker buildx build reference ("--annotation": type prefixes, comma-separated levels, `[platform]`);
 * docker/metadata-action README ("Annotations", `DOCKER_METADATA_ANNOTATIONS_LEVELS`, default `manifest`).
 */
export function routeAnnotations(given: Record<string, string>): {
  manifest: Record<string, string>;
  ignored: IgnoredAnnotation[];
} {
  const manifest: Record<string, string> = {};
  const ignored: IgnoredAnnotation[] = [];
  for (const [key, value] of Object.entries(given)) {
    const m = LEVEL_PREFIX.exec(key);
    if (!m) {
      manifest[key] = value;
      continue;
    }
    const levels = m[1].split(',').map((l) => ONE_LEVEL.exec(l)!);
    const onManifest = levels.some(
      ([, level, platform]) =>
        level === 'manifest' && (platform === undefined || ['', 'wasi/wasm'].includes(platform.trim())),
    );
    if (onManifest) manifest[m[2]] = value;
    else if (levels.some(([, level]) => level === 'manifest'))
      ignored.push({ key, why: 'it is for another platform, and the image is wasi/wasm' });
    else
      ignored.push({
        key,
        why: `${levels.map(([, level]) => level).join(', ')} annotations need an image index, and the wasm image is a single manifest`,
      });
  }
  return { manifest, ignored };
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
    // Level prefixes never become key names (`manifest:org.opencontainers…`): see routeAnnotations.
    ...routeAnnotations(o.annotations ?? {}).manifest,
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

/** What an OCI image layout is made of (image-spec image-layout.md): only these are replaced in an existing one. */
const LAYOUT_ENTRIES = ['blobs', 'oci-layout', 'index.json'] as const;
const SHA256 = /^sha256:[a-f0-9]{64}$/;

function shown(names: string[]): string {
  const sorted = [...names].sort();
  const head = sorted.slice(0, 5).map((n) => JSON.stringify(n.length > 80 ? `${n.slice(0, 80)}…` : n));
  return `${head.join(', ')}${sorted.length > 5 ? ` and ${sorted.length - 5} more` : ''}`;
}

/** True when `dir` holds an `oci-layout` file whose JSON names an `imageLayoutVersion` (image-layout.md). */
function isOciLayout(dir: string): boolean {
  const file = join(dir, 'oci-layout');
  const st = lstatSync(file, { throwIfNoEntry: false });
  if (!st?.isFile() || st.size > 4096) return false;
  try {
    return typeof JSON.parse(readFileSync(file, 'utf8'))?.imageLayoutVersion === 'string';
  } catch {
    return false;
  }
}

/**
 * What `writeLayout` would do at `dir`: `absent` (create it), `empty` or `layout` (replace the layout's own
 * entries, keeping the directory). Call it before any work to refuse a bad `layout-dir` early.
 * @throws UserError when `dir` is a file, a symlink, or a directory that is neither empty nor an OCI layout (no
 *   `oci-layout` file): we never delete or overwrite what we did not write (e.g. `--layout .` inside a crate).
 */
export function checkLayoutDir(dir: string): 'absent' | 'empty' | 'layout' {
  const path = resolve(dir);
  const st = lstatSync(path, { throwIfNoEntry: false });
  if (!st) return 'absent';
  const fix =
    'Pass a new or empty directory (e.g. target/oci-layout), or an OCI layout an earlier run wrote, which is replaced';
  if (st.isSymbolicLink())
    throw new UserError(`Refusing to write the OCI layout to "${path}": it is a symlink`, {
      fix: 'Pass the directory it points to, or a new one',
    });
  if (!st.isDirectory())
    throw new UserError(`Refusing to write the OCI layout to "${path}": it is a file, not a directory`, { fix });
  const entries = readdirSync(path);
  if (entries.length === 0) return 'empty';
  if (isOciLayout(path)) return 'layout';
  throw new UserError(
    `Refusing to write the OCI layout to "${path}": it is a directory that is neither empty nor an OCI layout (no oci-layout file; it holds ${shown(entries)})`,
    { fix },
  );
}

function layoutWriteError(path: string, e: unknown): UserError {
  const code = (e as NodeJS.ErrnoException)?.code;
  const msg = (e instanceof Error ? e.message : String(e)).split('\n')[0];
  return new UserError(`Cannot write the OCI layout "${path}": ${msg}`, {
    fix:
      code === 'ENOSPC' || code === 'EDQUOT'
        ? 'Free space on that file system and run again'
        : 'Check that the directory and its parent are writable by the runner',
    cause: e,
  });
}

/**
 * Writes an image to an OCI image layout directory (`oci-layout`, `index.json`, `blobs/sha256/…`) with the manifest
 * tagged `tag` (annotation `org.opencontainers.image.ref.name`). Every blob's digest must be `sha256:<64 hex>` and
 * match its bytes before it becomes a file name. The layout is written to a scratch directory beside `dir`
 * (`<dir>.tmp-*`) and renamed into place, so a failure never leaves a half-written layout; the scratch directory is
 * removed whatever happens. `dir` may be absent, empty or an OCI layout (`checkLayoutDir`): in an existing layout
 * only its own entries (`oci-layout`, `index.json`, `blobs`) are replaced, and put back if the swap fails.
 * @throws UserError for a `dir` that is not absent, empty or an OCI layout (nothing is written or deleted); for a
 *   blob whose digest is malformed or does not match its bytes; for an OS error (permissions, space).
 * Source: OCI image-spec v1.1 image-layout.md, descriptor.md ("Digests").
 */
export function writeLayout(image: Pick<BuiltImage, 'blobs' | 'manifest'>, dir: string, tag: string): void {
  const path = resolve(dir);
  const state = checkLayoutDir(path);
  for (const [digest, bytes] of image.blobs) {
    const quoted = JSON.stringify(digest.length > 80 ? `${digest.slice(0, 80)}…` : digest);
    if (!SHA256.test(digest)) {
      throw new UserError(
        `Refusing to write blob ${quoted} to the OCI layout "${path}": not a sha256:<64 hex> digest`,
        {
          fix: 'The image is corrupt or crafted; pull or build it again',
        },
      );
    }
    const actual = sha256(bytes);
    if (actual !== digest) {
      throw new UserError(`Refusing to write blob ${quoted} to the OCI layout "${path}": its bytes hash to ${actual}`, {
        fix: 'The image is corrupt or crafted; pull or build it again',
      });
    }
  }
  if (!image.blobs.has(image.manifest.digest))
    throw new Error(`writeLayout: the manifest ${image.manifest.digest} is not among the blobs`);
  let scratch: string | undefined;
  try {
    mkdirSync(dirname(path), { recursive: true });
    scratch = mkdtempSync(`${path}.tmp-`);
    const fresh = join(scratch, 'layout');
    mkdirSync(join(fresh, 'blobs', 'sha256'), { recursive: true });
    for (const [digest, bytes] of image.blobs)
      writeFileSync(join(fresh, 'blobs', 'sha256', digest.slice('sha256:'.length)), bytes);
    writeFileSync(join(fresh, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
    const index = {
      schemaVersion: 2,
      mediaType: MEDIA_TYPE_INDEX,
      manifests: [{ ...image.manifest, annotations: { [REF_NAME_ANNOTATION]: tag } }],
    };
    writeFileSync(join(fresh, 'index.json'), JSON.stringify(index));
    if (state === 'absent') renameSync(fresh, path);
    else swapEntries(fresh, path, join(scratch, 'old'));
  } catch (e) {
    throw e instanceof UserError ? e : layoutWriteError(path, e);
  } finally {
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  }
}

/**
 * Replaces the layout entries of `dir` with those of `fresh`, keeping the directory itself (its permissions, a
 * mount on it, a shell's cwd in it): the old entries move to `old` first, index.json last in; on a failure every
 * move is undone in reverse.
 */
function swapEntries(fresh: string, dir: string, old: string): void {
  mkdirSync(old);
  const done: [from: string, to: string][] = [];
  const move = (from: string, to: string) => {
    renameSync(from, to);
    done.push([from, to]);
  };
  try {
    for (const name of LAYOUT_ENTRIES)
      if (lstatSync(join(dir, name), { throwIfNoEntry: false })) move(join(dir, name), join(old, name));
    for (const name of LAYOUT_ENTRIES) move(join(fresh, name), join(dir, name));
  } catch (e) {
    for (const [from, to] of done.reverse()) renameSync(to, from);
    throw e;
  }
}

/** Reads back the manifest digest tagged `tag` in a layout's index.json. */
export function layoutManifestDigest(dir: string, tag: string): string | undefined {
  const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as { manifests: Descriptor[] };
  return index.manifests.find((m) => m.annotations?.[REF_NAME_ANNOTATION] === tag)?.digest;
}
