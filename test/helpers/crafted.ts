// Crafted layers and layouts: what a hostile image can hold, built byte by byte so tests can feed it to the real
// code paths (unpackLayers, smokeImage, the smoke-test action) and check that nothing outside the temp dir changes.
// Everything here is generated: symlink chains, whiteout names, long names, devices, truncated and bomb layers,
// layouts with bad digests, and a tiny WASI module that prints a given text.
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import {
  MEDIA_TYPE_CONFIG,
  MEDIA_TYPE_INDEX,
  MEDIA_TYPE_LAYER_GZIP,
  MEDIA_TYPE_MANIFEST,
  packTar,
  REF_NAME_ANNOTATION,
  type TarEntry,
  WASM_VARIANT,
  WASM_VARIANT_ANNOTATION,
} from '@wasm-build/oci';

/** A layer blob as an image stores it, with the sha256 of its uncompressed tar when known. */
export interface CraftedLayer {
  mediaType: string;
  digest: string;
  bytes: Buffer;
  diffId?: string;
}

const MEDIA_TYPE_LAYER_TAR = 'application/vnd.oci.image.layer.v1.tar';

export function sha256(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

// --- entries ---------------------------------------------------------------------------------------------------

export const file = (name: string, data: string | Uint8Array = 'x', mode = 0o644): TarEntry => ({
  header: { name, mode, type: 'file' },
  data: typeof data === 'string' ? Buffer.from(data) : data,
});
export const dir = (name: string, mode = 0o755): TarEntry => ({ header: { name, type: 'directory', mode } });
export const symlink = (name: string, target: string): TarEntry => ({
  header: { name, type: 'symlink', linkname: target },
});
export const hardlink = (name: string, target: string): TarEntry => ({
  header: { name, type: 'link', linkname: target },
});
export const device = (name: string, type: 'character-device' | 'block-device' = 'character-device'): TarEntry => ({
  header: { name, type, devmajor: 1, devminor: 3 },
});
export const fifo = (name: string): TarEntry => ({ header: { name, type: 'fifo' } });
/** A whiteout entry: an empty file named `.wh.<victim>` (or anything else given whole). */
export const whiteout = (name: string): TarEntry => file(name, '');

/**
 * Whiteout names whose victim is empty, `.` or `..`: applied naively (`rm -rf dir/<victim>`) they delete their own
 * directory (the rootfs at the top) or its parent.
 */
export const WHITEOUT_ESCAPES = ['.wh..', '.wh.', '.wh...', 'dir/.wh..', 'dir/.wh.', 'dir/.wh...'];

/**
 * A symlink chain that is lexically inside the rootfs at every step but, followed by the kernel, climbs `depth`
 * levels above it and then down to `hostPath` (absolute): `sub/up -> ..` (the root), `sub/l1 -> up/..` (one above),
 * `sub/lN -> l(N-1)/..`, and `name -> sub/l<depth>/<hostPath>`. `..` at the host's `/` stays at `/`, so a depth
 * larger than the rootfs's own depth reaches `/` wherever the rootfs is; keep depth + 2 under Linux's 40 links.
 */
export function escapeChain(name: string, hostPath: string, depth = 30): TarEntry[] {
  const links = [symlink('sub/up', '..'), symlink('sub/l1', 'up/..')];
  for (let i = 2; i <= depth; i++) links.push(symlink(`sub/l${i}`, `l${i - 1}/..`));
  return [dir('sub/'), ...links, symlink(name, `sub/l${depth}/${hostPath.replace(/^\/+/, '')}`)];
}

/** A name of one component of `bytes` bytes (the kernel's NAME_MAX is 255). */
export const longComponent = (bytes = 300, c = 'n'): string => c.repeat(bytes);
/** A path of `bytes` bytes made of components of 200 bytes (the kernel's PATH_MAX is 4096). */
export function longPath(bytes = 5000): string {
  const parts: string[] = [];
  while (parts.join('/').length < bytes) parts.push('p'.repeat(200));
  return parts.join('/');
}

// --- layers ----------------------------------------------------------------------------------------------------

/** A layer of `entries`, gzip-compressed (default) or plain, with its digest and diffId. */
export async function layerOf(entries: TarEntry[], o: { gzip?: boolean } = {}): Promise<CraftedLayer> {
  const tar = await packTar(entries);
  const bytes = o.gzip === false ? tar : gzipSync(tar);
  return {
    mediaType: o.gzip === false ? MEDIA_TYPE_LAYER_TAR : MEDIA_TYPE_LAYER_GZIP,
    digest: sha256(bytes),
    bytes,
    diffId: sha256(tar),
  };
}

/** The first `keep` bytes of a layer, as a layer of its own (its digest matches, so only the content is wrong). */
export function truncated(layer: CraftedLayer, keep: number): CraftedLayer {
  const bytes = layer.bytes.subarray(0, keep);
  return { mediaType: layer.mediaType, digest: sha256(bytes), bytes: Buffer.from(bytes) };
}

/** A ustar header for a regular file of `size` bytes (sizes below 8 GiB fit its 11 octal digits). */
function ustarHeader(name: string, size: number): Buffer {
  const h = Buffer.alloc(512);
  const put = (off: number, len: number, s: string) => h.write(s, off, len, 'ascii');
  const octal = (off: number, len: number, n: number) => put(off, len, `${n.toString(8).padStart(len - 1, '0')}\0`);
  put(0, 100, name);
  octal(100, 8, 0o644);
  octal(108, 8, 0);
  octal(116, 8, 0);
  octal(124, 12, size);
  octal(136, 12, 0);
  h.fill(0x20, 148, 156); // the checksum is computed with its own field as spaces
  put(156, 1, '0');
  put(257, 8, 'ustar\u000000');
  let sum = 0;
  for (const b of h) sum += b;
  put(148, 8, `${sum.toString(8).padStart(6, '0')}\0 `);
  return h;
}

/**
 * A gzip bomb: a layer whose tar holds one file `name` of `uncompressed` zero bytes, about 1/1000 of that size
 * compressed. Built from concatenated gzip members (valid gzip, RFC 1952 §2.2) of one 16 MiB zero chunk, so making
 * it takes little time and memory: 3 GiB gives a ~3 MB layer. No diffId (hashing 3 GiB is not worth it).
 */
export function gzipBomb(uncompressed: number, name = 'bomb.wasm'): CraftedLayer {
  const CHUNK = 16 * 1024 * 1024;
  const pad = (512 - (uncompressed % 512)) % 512;
  let zeros = uncompressed + pad + 1024; // file data, its padding, and the two zero blocks that end a tar
  const full = gzipSync(Buffer.alloc(CHUNK), { level: 9 });
  const members: Buffer[] = [gzipSync(ustarHeader(name, uncompressed))];
  for (; zeros >= CHUNK; zeros -= CHUNK) members.push(full);
  if (zeros) members.push(gzipSync(Buffer.alloc(zeros), { level: 9 }));
  const bytes = Buffer.concat(members);
  return { mediaType: MEDIA_TYPE_LAYER_GZIP, digest: sha256(bytes), bytes };
}

// --- a module ----------------------------------------------------------------------------------------------------

const uleb = (n: number): number[] => {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return out;
};
const sleb = (n: number): number[] => {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && !(b & 0x40)) || (n === -1 && b & 0x40)) return [...out, b];
    out.push(b | 0x80);
  }
};
const str = (s: string): number[] => [...uleb(Buffer.byteLength(s)), ...Buffer.from(s)];
const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];

/**
 * A WASI preview1 command module (`_start`, memory exported) that writes `text` to stdout with one `fd_write` and
 * exits 0: a known-good module for smoke tests, encoded here so no tool is needed.
 * Source: WebAssembly core spec, binary format (sections 1, 2, 3, 5, 7, 10, 11).
 */
export function wasiEcho(text: string): Buffer {
  const data = [...Buffer.from(text)];
  const i32 = (n: number) => [0x41, ...sleb(n)];
  const code = [
    0x00, // no locals
    ...i32(0),
    ...i32(16),
    0x36,
    0x02,
    0x00, // iov.buf = 16
    ...i32(4),
    ...i32(data.length),
    0x36,
    0x02,
    0x00, // iov.len
    ...i32(1),
    ...i32(0),
    ...i32(1),
    ...i32(8),
    0x10,
    0x00, // fd_write(1, iovs=0, 1, nwritten=8)
    0x1a,
    0x0b,
  ];
  return Buffer.from([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, [0x02, 0x60, 0x04, 0x7f, 0x7f, 0x7f, 0x7f, 0x01, 0x7f, 0x60, 0x00, 0x00]),
    ...section(2, [0x01, ...str('wasi_snapshot_preview1'), ...str('fd_write'), 0x00, 0x00]),
    ...section(3, [0x01, 0x01]),
    ...section(5, [0x01, 0x00, 0x01]),
    ...section(7, [0x02, ...str('memory'), 0x02, 0x00, ...str('_start'), 0x00, 0x01]),
    ...section(10, [0x01, ...uleb(code.length), ...code]),
    ...section(11, [0x01, 0x00, ...i32(16), 0x0b, ...uleb(data.length), ...data]),
  ]);
}

// --- layouts -------------------------------------------------------------------------------------------------------

/**
 * Digests that must never become a path or a URL: traversal, wrong case, wrong length, unknown algorithm. The
 * traversal climbs 4 levels from `blobs/sha256/`: put a layout two levels inside a test's temp dir (`<tmp>/a/layout`),
 * so that code which did join it into a path touches `<tmp>/escaped` (where the test looks), never the host.
 */
export const BAD_DIGESTS = [
  'sha256:../../../../escaped',
  `sha256:${'A'.repeat(64)}`,
  'sha256:abc',
  `md5:${'0'.repeat(32)}`,
  `sha256:${'0'.repeat(64)}/../../x`,
];

export interface CraftedLayoutOptions {
  layers: CraftedLayer[];
  entrypoint?: string[];
  cmd?: string[];
  workingDir?: string;
  tag?: string;
  /** Replaces digests where they are referenced (index.json's manifest, the manifest's config or layers). */
  override?: { manifestDigest?: string; configDigest?: string; layerDigests?: string[] };
}

/**
 * Writes an OCI image layout by hand (not with writeLayout), so it can hold anything: the layers given, a
 * `wasi/wasm` config with the entrypoint (default `/app.wasm`), a manifest annotated compat-smart, an index
 * tagged `tag`, and digests replaced by `override`. Returns the manifest's real digest.
 */
export function writeCraftedLayout(dir: string, o: CraftedLayoutOptions): { manifestDigest: string } {
  mkdirSync(join(dir, 'blobs', 'sha256'), { recursive: true });
  const put = (bytes: Uint8Array) => {
    const digest = sha256(bytes);
    writeFileSync(join(dir, 'blobs', 'sha256', digest.slice(7)), bytes);
    return { digest, size: bytes.length };
  };
  for (const l of o.layers) put(l.bytes);
  const config = Buffer.from(
    JSON.stringify({
      architecture: 'wasm',
      os: 'wasi',
      config: {
        Entrypoint: o.entrypoint ?? ['/app.wasm'],
        ...(o.cmd ? { Cmd: o.cmd } : {}),
        ...(o.workingDir ? { WorkingDir: o.workingDir } : {}),
      },
      rootfs: { type: 'layers', diff_ids: o.layers.map((l) => l.diffId ?? l.digest) },
    }),
  );
  const c = put(config);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MEDIA_TYPE_MANIFEST,
      config: { mediaType: MEDIA_TYPE_CONFIG, digest: o.override?.configDigest ?? c.digest, size: c.size },
      layers: o.layers.map((l, i) => ({
        mediaType: l.mediaType,
        digest: o.override?.layerDigests?.[i] ?? l.digest,
        size: l.bytes.length,
      })),
      annotations: { [WASM_VARIANT_ANNOTATION]: WASM_VARIANT },
    }),
  );
  const m = put(manifest);
  writeFileSync(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  writeFileSync(
    join(dir, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MEDIA_TYPE_INDEX,
      manifests: [
        {
          mediaType: MEDIA_TYPE_MANIFEST,
          digest: o.override?.manifestDigest ?? m.digest,
          size: m.size,
          platform: { architecture: 'wasm', os: 'wasi' },
          annotations: { [REF_NAME_ANNOTATION]: o.tag ?? 'latest' },
        },
      ],
    }),
  );
  return { manifestDigest: m.digest };
}

// --- what must not change ----------------------------------------------------------------------------------------

/**
 * Every entry under `root` (symlinks not followed) as `path type size-or-target`, sorted: compare two snapshots to
 * prove nothing was written, changed in size or deleted there. `skip` names top-level entries to leave out (the
 * temp dir the code under test owns).
 */
export function treeSnapshot(root: string, skip: string[] = []): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const name of readdirSync(join(root, rel)).sort()) {
      if (!rel && skip.includes(name)) continue;
      const r = rel ? `${rel}/${name}` : name;
      const st = lstatSync(join(root, r));
      if (st.isSymbolicLink()) out.push(`${r} symlink ${readlinkSync(join(root, r))}`);
      else if (st.isDirectory()) {
        out.push(`${r} dir`);
        walk(r);
      } else out.push(`${r} file ${st.size} ${sha256(readFileSync(join(root, r))).slice(7, 19)}`);
    }
  };
  if (existsSync(root)) walk('');
  return out;
}
