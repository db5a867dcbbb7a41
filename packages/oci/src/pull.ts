import { closeSync, constants, fstatSync, lstatSync, openSync, readSync, realpathSync, statSync } from 'node:fs';
import { join, posix, sep } from 'node:path';
import { UserError } from '@wasm-build/kit';
import { checkDigest, type DigestAlgorithm, digestOf } from './digest.ts';
import { type BuiltImage, type Descriptor, writeLayout } from './layout.ts';
import { LIMITS } from './limits.ts';
import {
  checkDescriptor,
  checkManifestDescriptors,
  type ImageConfig,
  type ParsedIndex,
  type ParsedManifest,
  parseImageConfig,
  parseManifest,
} from './manifest.ts';
import {
  IMAGE_MANIFEST_TYPES,
  INDEX_TYPES,
  MEDIA_TYPE_INDEX,
  REF_NAME_ANNOTATION,
  WASM_PLATFORM,
} from './media-types.ts';
import { formatImageRef, type ImageRef } from './reference.ts';
import type { RegistryClient } from './registry.ts';
import { entryPath, forEachTarEntry, layerTarStream } from './tar.ts';

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
  /** Layer blobs in order, compressed as stored, each checked against its digest and size. */
  layers: { mediaType: string; digest: string; bytes: Buffer }[];
}

/**
 * Where `runnableFromManifest` gets an image's parts: an index's child manifest (`/manifests/<digest>` of a
 * registry) and blobs (config, layers), each by its descriptor.
 */
export interface ImageSource {
  manifest(d: Descriptor): Promise<Buffer>;
  blob(d: Descriptor): Promise<Buffer>;
}

/** A registry as an `ImageSource`: child manifests from `/manifests/`, blobs from `/blobs/`, each of its size. */
export function registrySource(client: RegistryClient): ImageSource {
  return {
    manifest: async (d) => (await client.manifest(d.digest, { size: d.size })).bytes,
    blob: (d) => client.blob(d.digest, d.size),
  };
}

/** Checks that `bytes` are what `d` describes (size, then digest), whatever source served them. */
function checkAgainst(bytes: Buffer, d: Descriptor, what: string, where: string): Buffer {
  if (bytes.length !== d.size) {
    throw new UserError(`The ${what} ${d.digest} of ${where} is ${bytes.length} bytes, its descriptor says ${d.size}`, {
      fix: 'The image is corrupt or was tampered with; push or write it again',
    });
  }
  const got = digestOf(bytes, d.digest.slice(0, d.digest.indexOf(':')) as DigestAlgorithm);
  if (got !== d.digest) {
    throw new UserError(`The ${what} ${d.digest} of ${where} hashes to ${got}`, {
      fix: 'The image is corrupt or was tampered with; push or write it again',
    });
  }
  return bytes;
}

/** Picks the first `wasi/wasm` manifest of an index. @throws UserError listing the platforms when there is none. */
function pickWasm(index: ParsedIndex, where: string): Descriptor {
  const hit = index.manifests.find(
    (m) => m.platform?.os === WASM_PLATFORM.os && m.platform.architecture === WASM_PLATFORM.architecture,
  );
  if (!hit) {
    const seen = index.manifests
      .slice(0, 20)
      .map((m) => `${m.platform?.os ?? '?'}/${m.platform?.architecture ?? '?'}`)
      .join(', ');
    throw new UserError(`${where} is an index with no wasi/wasm image (platforms: ${seen || 'none'})`, {
      fix: 'Build with --platform wasi/wasm, and with provenance and SBOM off',
    });
  }
  return hit;
}

/**
 * An image's manifest and config, read and checked, with no layer fetched yet: what the push's read-back proves
 * from, and what `runnableFromHead` completes into a `RunnableImage` when the layers are needed.
 */
export interface ImageHead {
  /** Digest of the image manifest (the `wasi/wasm` child's when the reference named an index). */
  digest: string;
  /** The image manifest's bytes, as served. */
  manifestBytes: Buffer;
  manifest: ParsedManifest;
  /** The config blob's bytes (checked against its descriptor) and the config as read. */
  configBytes: Buffer;
  config: ImageConfig;
}

/**
 * Reads a manifest (`served`: its Content-Type or descriptor media type) and its config from `source`, without any
 * layer: an index is resolved to its `wasi/wasm` manifest (fetched as a manifest; a nested index is refused); every
 * descriptor is checked before anything is fetched (`checkManifestDescriptors`: media types for each position,
 * digests, sizes, layer count); the config must have its descriptor's size and digest. `blobs`, when given, collects
 * the manifest and config read (to write a layout).
 * @throws UserError naming `where`: see `parseManifest`, `checkManifestDescriptors`, `parseImageConfig`, and what
 *   the source throws.
 */
export async function readImageHead(
  manifestBytes: Buffer,
  source: ImageSource,
  where: string,
  blobs?: Map<string, Uint8Array>,
  served?: string,
): Promise<ImageHead> {
  let bytes = manifestBytes;
  let m = parseManifest(bytes, where, served);
  if (m.kind === 'index') {
    const d = pickWasm(m, where);
    checkDescriptor(
      d,
      `the wasi/wasm entry of the index of ${where}`,
      IMAGE_MANIFEST_TYPES,
      LIMITS.manifestBytes,
      'image manifest',
    );
    bytes = checkAgainst(await source.manifest(d), d, 'manifest', where);
    const child = parseManifest(bytes, `${where} (wasi/wasm ${d.digest})`, d.mediaType);
    if (child.kind !== 'manifest') {
      throw new UserError(`The wasi/wasm entry of ${where} is another index`, {
        fix: 'Point the reference at an image or at an index of images; nested indexes are not read',
      });
    }
    if (child.mediaType !== d.mediaType) {
      throw new UserError(
        `The wasi/wasm manifest of ${where} is ${child.mediaType}, but the index says ${d.mediaType}`,
        { fix: 'The index is inconsistent; push the image again' },
      );
    }
    m = child;
  }
  checkManifestDescriptors(m, where);
  const digest = digestOf(bytes);
  blobs?.set(digest, bytes);
  const configBytes = checkAgainst(await source.blob(m.config), m.config, 'config', where);
  blobs?.set(m.config.digest, configBytes);
  const config = parseImageConfig(configBytes, where);
  return { digest, manifestBytes: bytes, manifest: m, configBytes, config };
}

/**
 * Completes an `ImageHead` into a `RunnableImage`: fetches each layer from `source` in order, each of which must
 * have its descriptor's size and digest (what `registrySource` checks while streaming, and `checkAgainst` again
 * here whatever the source). `blobs`, when given, collects every layer read.
 * @throws UserError naming `where` for a layer of another size or digest, and what the source throws.
 */
export async function runnableFromHead(
  head: ImageHead,
  source: ImageSource,
  where: string,
  blobs?: Map<string, Uint8Array>,
): Promise<RunnableImage> {
  const { manifest: m, config } = head;
  const layers: RunnableImage['layers'] = [];
  for (const l of m.layers) {
    const b = checkAgainst(await source.blob(l), l, 'layer', where);
    blobs?.set(l.digest, b);
    layers.push({ mediaType: l.mediaType, digest: l.digest, bytes: b });
  }
  return {
    digest: head.digest,
    platform: `${config.os}/${config.architecture}`,
    entrypoint: config.config?.Entrypoint ?? [],
    cmd: config.config?.Cmd ?? [],
    env: config.config?.Env ?? [],
    workingDir: config.config?.WorkingDir || undefined,
    annotations: m.annotations,
    layers,
  };
}

/**
 * Builds a `RunnableImage` from a manifest (`served`: its Content-Type or descriptor media type) and a source:
 * config (Entrypoint, Cmd, Env, WorkingDir), layers, annotations; what a pull, a layout read and the push's
 * read-back share. `readImageHead` reads and checks the manifest and config, `runnableFromHead` the layers: an
 * index is resolved to its `wasi/wasm` manifest; every descriptor is checked before anything is fetched; whatever
 * the source returns must have its descriptor's size and digest. `blobs`, when given, collects every manifest and
 * blob read (to write a layout).
 * @throws UserError naming `where`: see `parseManifest`, `checkManifestDescriptors`, `parseImageConfig`, and what
 *   the source throws.
 */
export async function runnableFromManifest(
  manifestBytes: Buffer,
  source: ImageSource,
  where: string,
  blobs?: Map<string, Uint8Array>,
  served?: string,
): Promise<RunnableImage> {
  const head = await readImageHead(manifestBytes, source, where, blobs, served);
  return runnableFromHead(head, source, where, blobs);
}

/**
 * Pulls `ref` (by its digest when it has one, else its tag) and returns it ready to run; with `layoutDir`, also
 * writes it to an OCI layout there (tagged `tag`, by `writeLayout`) once everything has been read and checked.
 * Without `layoutDir` nothing is written to disk. The manifest must hash to the digest asked for and to
 * `Docker-Content-Digest`; an index's `wasi/wasm` child is fetched from `/manifests/`; every blob must have its
 * descriptor's size and digest (`RegistryClient`, `runnableFromManifest`).
 * @throws UserError from the registry client (unreachable, timeout, 401/403, not found, wrong digest or size,
 *   oversized) or for the manifest (see `runnableFromManifest`), naming the registry and the reference.
 * Source: OCI distribution-spec v1.1 "Pulling manifests"/"Pulling blobs"; image-spec image-layout.md.
 */
export async function pullImage(
  ref: ImageRef,
  client: RegistryClient,
  layoutDir?: string,
  tag = 'latest',
): Promise<RunnableImage> {
  const name = formatImageRef(ref);
  const m = await client.manifest(ref.digest ?? ref.tag ?? 'latest');
  const blobs = layoutDir ? new Map<string, Uint8Array>() : undefined;
  const img = await runnableFromManifest(m.bytes, registrySource(client), name, blobs, m.mediaType);
  if (layoutDir && blobs) {
    const bytes = blobs.get(img.digest)!;
    const mediaType = parseManifest(bytes, name).mediaType;
    writeLayout({ blobs, manifest: { mediaType, digest: img.digest, size: bytes.length } }, layoutDir, tag);
  }
  return img;
}

function notLayout(layoutDir: string, why: string, cause?: unknown): UserError {
  return new UserError(`Not an OCI image layout: "${layoutDir}" ${why}`, {
    fix: 'Pass the layout-dir output of the image action',
    cause,
  });
}

/**
 * Reads `rel` under the layout's real path `root` as a regular file of at most `max` bytes (exactly `size` when
 * given): a symlink, FIFO, device or directory is refused, as is a parent that resolves outside the layout; the read
 * never goes past the limit, so `/dev/zero` or a huge file cannot exhaust memory.
 */
function readLayoutFile(
  root: string,
  rel: string[],
  layoutDir: string,
  o: { max: number; size?: number; what: string },
): Buffer {
  const shown = posix.join(...rel);
  const corrupt = (why: string, cause?: unknown) =>
    new UserError(`Refusing ${o.what} in "${layoutDir}": ${shown} ${why}`, {
      fix: 'The layout is corrupt or crafted; write it again with the image action',
      cause,
    });
  let parent: string;
  try {
    parent = realpathSync(join(root, ...rel.slice(0, -1)));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw corrupt('is missing', e);
    throw corrupt(`cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, e);
  }
  if (parent !== root && !parent.startsWith(root + sep)) throw corrupt('resolves outside the layout');
  let fd: number;
  try {
    // O_NOFOLLOW: no symlink as the file itself; O_NONBLOCK: opening a FIFO must not wait for a writer.
    fd = openSync(join(parent, rel[rel.length - 1]), constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw corrupt('is missing', e);
    if (code === 'ELOOP') throw corrupt('is a symlink', e);
    throw corrupt(`cannot be read (${code ?? (e as Error).message})`, e);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw corrupt('is not a regular file');
    if (o.size !== undefined && st.size !== o.size) throw corrupt(`is ${st.size} bytes, its descriptor says ${o.size}`);
    if (st.size > o.max) throw corrupt(`is ${st.size} bytes, more than the ${o.max} allowed`);
    const buf = Buffer.allocUnsafe(st.size);
    let at = 0;
    while (at < buf.length) {
      const n = readSync(fd, buf, at, buf.length - at, at);
      if (n === 0) break;
      at += n;
    }
    if (at !== buf.length) throw corrupt(`shrank while being read (${at} of ${st.size} bytes)`);
    return buf;
  } finally {
    closeSync(fd);
  }
}

/**
 * Reads the image tagged `tag` (else the only one) from an OCI layout. index.json and every blob are read as
 * regular files inside the layout (no symlink, FIFO or device; no parent resolving outside it), each at most its
 * limit and exactly its descriptor's size, and checked against its digest; every digest is checked before it becomes
 * a path.
 * @throws UserError when the directory is not a layout, index.json is invalid, the tag is missing, or a descriptor
 *   or blob is invalid, oversized, missing or corrupt (see `runnableFromManifest`).
 * Source: OCI image-spec v1.1 image-layout.md (index.json, blobs/<alg>/<hex>).
 */
export async function readLayoutImage(layoutDir: string, tag?: string): Promise<RunnableImage> {
  let root: string;
  try {
    root = realpathSync(layoutDir);
    if (!statSync(root).isDirectory()) throw notLayout(layoutDir, 'is not a directory');
  } catch (e) {
    if (e instanceof UserError) throw e;
    throw notLayout(layoutDir, `cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, e);
  }
  if (!lstatSync(join(root, 'index.json'), { throwIfNoEntry: false })) throw notLayout(layoutDir, 'has no index.json');
  const indexBytes = readLayoutFile(root, ['index.json'], layoutDir, { max: LIMITS.manifestBytes, what: 'the index' });
  const where = `layout "${layoutDir}"`;
  const index = parseManifest(indexBytes, `${where} (index.json)`, MEDIA_TYPE_INDEX);
  if (index.kind !== 'index') throw notLayout(layoutDir, 'has an index.json that is not an image index');
  const d = tag
    ? index.manifests.find((m) => m.annotations?.[REF_NAME_ANNOTATION] === tag)
    : index.manifests.length === 1
      ? index.manifests[0]
      : undefined;
  if (!d) {
    const tags = index.manifests
      .slice(0, 20)
      .map((m) => m.annotations?.[REF_NAME_ANNOTATION] ?? m.digest)
      .join(', ');
    throw new UserError(`No image ${tag ? `tagged "${tag}" ` : ''}in ${layoutDir} (it holds: ${tags || 'nothing'})`, {
      fix: 'Pass the tag the image action wrote',
    });
  }
  checkDescriptor(
    d,
    `index.json of ${where}`,
    [...IMAGE_MANIFEST_TYPES, ...INDEX_TYPES],
    LIMITS.manifestBytes,
    'manifest',
  );
  const read = async (desc: Descriptor): Promise<Buffer> => {
    const digest = checkDigest(desc.digest, where);
    const [alg, hex] = digest.split(':');
    return readLayoutFile(root, ['blobs', alg, hex], layoutDir, {
      max: Math.max(LIMITS.layerBytes, LIMITS.manifestBytes),
      size: desc.size,
      what: `blob ${digest}`,
    });
  };
  const source: ImageSource = { manifest: read, blob: read };
  return runnableFromManifest(checkAgainst(await read(d), d, 'manifest', where), source, where, undefined, d.mediaType);
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

const WHITEOUT = '.wh.';
const OPAQUE = '.wh..wh..opq';

/** True when `dir` is a strict ancestor of `path` ('' is the root). */
function isAncestor(dir: string, path: string): boolean {
  return dir === '' ? path !== '' : path.startsWith(`${dir}/`);
}

/**
 * The bytes of the module the image runs (`Entrypoint[0]`), as unpacking the layers in order leaves it: each layer
 * is streamed (capped, see `layerTarStream`) and only that path's bytes are kept. Entries apply in order as
 * `unpackLayers` applies them: a later file replaces it, a whiteout of it or of a parent (`.wh.NAME`, or an opaque
 * `.wh..wh..opq` in a parent) removes it, and a parent that becomes a non-directory (a symlink, a file) leaves
 * it unreachable. The result must be a regular file: a symlink, hard link or device at the path is refused, so what
 * verify checks is the file that runs.
 * @throws UserError when the image has no Entrypoint, the Entrypoint is not a clean absolute path, a layer entry
 *   climbs out with `..` or is a whiteout of no name, no layer leaves a regular file there, or a layer is
 *   refused by `layerTarStream`/`forEachTarEntry`.
 */
export async function entrypointModule(img: RunnableImage): Promise<Buffer> {
  const raw = img.entrypoint[0];
  if (!raw)
    throw new UserError(`Image ${img.digest} has no Entrypoint`, { fix: 'Build the image with wasm-build image' });
  const path = raw.startsWith('/') && !raw.includes('\0') ? entryPath(raw) : undefined;
  if (!path || raw.split('/').includes('..')) {
    throw new UserError(`Image ${img.digest} runs ${JSON.stringify(raw.slice(0, 200))}, not a clean absolute path`, {
      fix: 'The Entrypoint must be an absolute path inside the image, e.g. /app.wasm; rebuild the image',
    });
  }
  type State = { kind: 'absent' } | { kind: 'file'; bytes: Buffer } | { kind: 'other'; why: string; via?: string };
  let state = { kind: 'absent' } as State;
  for (const l of img.layers) {
    const what = `Layer ${l.digest} of ${img.digest}`;
    await forEachTarEntry(
      layerTarStream(l),
      async (e, read) => {
        const name = entryPath(e.name);
        if (name === undefined) {
          throw new UserError(
            `Refusing layer ${l.digest}: entry ${JSON.stringify(e.name.slice(0, 200))} climbs out of the rootfs with ".."`,
            {
              fix: 'The image was not built by wasm-build or was tampered with; rebuild it from the crate',
            },
          );
        }
        if (name === '') return;
        const base = posix.basename(name);
        const dir = posix.dirname(name) === '.' ? '' : posix.dirname(name);
        if (base === OPAQUE) {
          if (isAncestor(dir, path)) state = { kind: 'absent' };
          return;
        }
        if (base.startsWith(WHITEOUT)) {
          const target = base.slice(WHITEOUT.length);
          if (target === '' || target === '.' || target === '..' || target.startsWith(WHITEOUT)) {
            throw new UserError(
              `Refusing layer ${l.digest}: entry ${JSON.stringify(e.name.slice(0, 200))} is a whiteout of no file`,
              {
                fix: 'The image was not built by wasm-build or was tampered with; rebuild it from the crate',
              },
            );
          }
          const gone = dir ? `${dir}/${target}` : target;
          if (gone === path || isAncestor(gone, path)) state = { kind: 'absent' };
          return;
        }
        if (name === path) {
          if (e.type === 'file' || e.type === 'contiguous-file') state = { kind: 'file', bytes: await read() };
          else state = { kind: 'other', why: `a ${e.type}${e.linkname ? ` (to ${e.linkname})` : ''}` };
          return;
        }
        if (isAncestor(name, path)) {
          if (e.type !== 'directory') state = { kind: 'other', why: `under /${name}, a ${e.type}`, via: name };
          else if (state.kind === 'other' && state.via === name) state = { kind: 'absent' };
        }
      },
      { what },
    );
  }
  if (state.kind === 'file') return state.bytes;
  if (state.kind === 'other') {
    throw new UserError(`Image ${img.digest} runs /${path}, which is ${state.why}, not a regular file`, {
      fix: 'wasm-build verifies and runs a regular file entrypoint only; rebuild the image with wasm-build image',
    });
  }
  throw new UserError(`Image ${img.digest} runs /${path}, but no layer holds it`, { fix: 'Rebuild the image' });
}
