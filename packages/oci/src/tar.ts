import { posix } from 'node:path';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { createGunzip, gunzipSync } from 'node:zlib';
import { UserError } from '@wasm-build/kit';
import { extract, type Header, pack } from 'tar-stream';
import { LIMITS } from './limits.ts';

/** One tar entry: a tar-stream header and, for a regular file, its bytes. */
export interface TarEntry {
  header: Partial<Header> & Pick<Header, 'name'>;
  data?: Uint8Array;
}

/** A layer blob as stored in an image: gzip-compressed or plain tar. */
export interface LayerBlob {
  mediaType: string;
  digest: string;
  bytes: Uint8Array;
}

/**
 * Packs entries, in the order given, into an uncompressed tar (ustar, as tar-stream writes it).
 * Used for image layers, and by tests for release archives and crafted layers.
 */
export async function packTar(entries: TarEntry[]): Promise<Buffer> {
  const p = pack();
  const chunks: Buffer[] = [];
  p.on('data', (c) => chunks.push(c as Buffer));
  const done = new Promise<void>((resolve, reject) => {
    p.on('end', resolve);
    p.on('error', reject);
  });
  for (const e of entries) {
    if (e.data) p.entry({ ...e.header, size: e.data.length }, Buffer.from(e.data));
    else p.entry(e.header);
  }
  p.finalize();
  await done;
  return Buffer.concat(chunks);
}

/**
 * The most bytes a layer of `compressedSize` bytes may decompress to: `LIMITS.layerRatio` times its size, at least
 * `LIMITS.layerTarFloor` (a small layer's tar headers and padding compress far better than code) and at most
 * `LIMITS.layerTarBytes`. Gzip reaches about 1032:1, so a decompression bomb is refused well before it inflates.
 */
export function layerTarCap(compressedSize: number): number {
  return Math.min(LIMITS.layerTarBytes, Math.max(LIMITS.layerTarFloor, compressedSize * LIMITS.layerRatio));
}

function isGzip(bytes: Uint8Array): boolean {
  return bytes[0] === 0x1f && bytes[1] === 0x8b;
}

function refuseZstd(layer: LayerBlob): void {
  if (/zstd/.test(layer.mediaType)) {
    throw new UserError(`Layer ${layer.digest} is zstd-compressed (${layer.mediaType})`, {
      fix: 'wasm-build reads gzip or plain tar layers; push the image with gzip layers',
    });
  }
}

function tooBig(layer: LayerBlob, cap: number): UserError {
  return new UserError(
    `Refusing layer ${layer.digest}: it decompresses to more than ${cap} bytes (${layer.bytes.length} bytes compressed, at most ${LIMITS.layerRatio}x or ${LIMITS.layerTarBytes} bytes)`,
    { fix: 'The layer is a decompression bomb or not a wasm image layer; rebuild the image from the crate' },
  );
}

function badGzip(layer: LayerBlob, cause: unknown): UserError {
  return new UserError(`Layer ${layer.digest} is not a valid gzip stream (truncated or corrupt)`, {
    fix: 'Push or write the image again; the stored layer is damaged',
    cause,
  });
}

/**
 * The uncompressed tar of a layer blob, in memory: gunzipped when it starts with gzip's magic bytes, as it is when
 * plain. Decompression stops at `maxBytes` (default `layerTarCap(layer.bytes.length)`), so memory stays bounded;
 * prefer `layerTarStream` with `forEachTarEntry`, which never hold the whole tar.
 * @throws UserError for a zstd layer, a layer that decompresses past the cap, and a corrupt gzip stream.
 * Source: OCI image-spec v1.1 layer.md (media types `…tar`, `…tar+gzip`, `…tar+zstd`).
 */
export function layerTar(layer: LayerBlob, o: { maxBytes?: number } = {}): Buffer {
  if (isGzip(layer.bytes)) {
    const cap = o.maxBytes ?? layerTarCap(layer.bytes.length);
    try {
      return gunzipSync(layer.bytes, { maxOutputLength: cap });
    } catch (e) {
      if ((e as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') throw tooBig(layer, cap);
      throw badGzip(layer, e);
    }
  }
  refuseZstd(layer);
  return Buffer.from(layer.bytes);
}

/** Counts bytes through; fails with `onOver()` as soon as more than `cap` have passed. */
class Cap extends Transform {
  private seen = 0;
  constructor(
    private readonly cap: number,
    private readonly onOver: () => Error,
  ) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.seen += chunk.length;
    if (this.seen > this.cap) cb(this.onOver());
    else cb(null, chunk);
  }
}

/** Input slice fed to gunzip: its output for one slice is at most ~1032x this, bounding what is buffered at once. */
const SLICE = 16 * 1024;

function* slices(bytes: Uint8Array): Generator<Buffer> {
  for (let i = 0; i < bytes.length; i += SLICE)
    yield Buffer.from(bytes.buffer, bytes.byteOffset + i, Math.min(SLICE, bytes.length - i));
}

/**
 * The uncompressed tar of a layer blob as a stream: gunzipped in slices when it starts with gzip's magic bytes, as
 * it is when plain. The stream fails with a UserError once more than `maxBytes` (default
 * `layerTarCap(layer.bytes.length)`) have come out, or when the gzip stream is corrupt or truncated; memory stays
 * at a few slices whatever the layer holds. What `unpackLayers` and every reader of a layer should consume.
 * @throws UserError (synchronously) for a zstd layer.
 */
export function layerTarStream(layer: LayerBlob, o: { maxBytes?: number } = {}): Readable {
  const bytes = layer.bytes;
  if (!isGzip(bytes)) refuseZstd(layer);
  const source = Readable.from(slices(bytes), { objectMode: false });
  if (!isGzip(bytes)) return source;
  const cap = o.maxBytes ?? layerTarCap(bytes.length);
  const gunzip = createGunzip();
  const out = new Cap(cap, () => tooBig(layer, cap));
  // zlib reports a truncated member ("unexpected end of file") and bad data as errors on gunzip; make them ours.
  gunzip.on('error', (e) => out.destroy(badGzip(layer, e)));
  out.on('close', () => {
    source.destroy();
    gunzip.destroy();
  });
  source.pipe(gunzip).pipe(out);
  return out;
}

/**
 * A tar entry's name as a clean path relative to the root (no leading `/` or `./`, no trailing `/`; '' for the root
 * itself), or undefined when any component is `..`: how the unpack and the entrypoint lookup both read names.
 */
export function entryPath(name: string): string | undefined {
  if (name.split('/').includes('..')) return undefined;
  const clean = posix.normalize(name.replace(/^\/+/, ''));
  if (clean === '..' || clean.startsWith('../')) return undefined;
  return clean === '.' || clean === './' ? '' : clean.replace(/\/+$/, '');
}

/** A tar entry as `forEachTarEntry` reports it. */
export interface TarEntryInfo {
  /** The name as stored. */
  name: string;
  /** tar-stream's type: `file`, `directory`, `symlink`, `link`, `character-device`, … */
  type: string;
  size: number;
  mode?: number;
  linkname?: string | null;
}

/**
 * Streams the entries of a tar (bytes, or a stream such as `layerTarStream`) to `visit`, in order. `visit` may call
 * `read()` once for the entry's bytes; an entry it does not read is skipped without being buffered. An entry whose
 * header declares more than `maxEntryBytes` (default `LIMITS.layerTarBytes`) is refused before any of it is read.
 * @throws UserError for a truncated or corrupt tar ("`what` is a truncated or corrupt tar"), an oversized entry, and
 *   whatever the stream or `visit` throws.
 */
export async function forEachTarEntry(
  tar: Uint8Array | Readable,
  visit: (entry: TarEntryInfo, read: () => Promise<Buffer>) => void | Promise<void>,
  o: { what?: string; maxEntryBytes?: number } = {},
): Promise<void> {
  const what = o.what ?? 'The archive';
  const max = o.maxEntryBytes ?? LIMITS.layerTarBytes;
  const input = tar instanceof Readable ? tar : Readable.from(slices(tar), { objectMode: false });
  const ex = extract();
  let failure: unknown;
  input.on('error', (e) => {
    failure ??= e;
    ex.destroy(e);
  });
  input.pipe(ex as unknown as NodeJS.WritableStream);
  try {
    for await (const stream of ex) {
      const h = stream.header;
      if (h.size > max) {
        throw new UserError(
          `${what} has an entry "${h.name.slice(0, 200)}" of ${h.size} bytes, more than the ${max} allowed`,
          { fix: 'The archive is a decompression bomb or not a wasm image layer; rebuild it' },
        );
      }
      let read = false;
      let readFailed = false;
      try {
        await visit(
          { name: h.name, type: h.type ?? 'file', size: h.size, mode: h.mode, linkname: h.linkname },
          async () => {
            read = true;
            const buf = Buffer.allocUnsafe(h.size);
            let at = 0;
            try {
              for await (const c of stream as AsyncIterable<Buffer>) {
                c.copy(buf, at);
                at += c.length;
              }
            } catch (e) {
              readFailed = true;
              throw e;
            }
            return buf.subarray(0, at);
          },
        );
      } catch (e) {
        // What `visit` throws of its own is its business; a failed read is the archive's.
        if (!readFailed && !failure) throw new VisitError(e);
        throw e;
      }
      if (!read) stream.resume();
    }
  } catch (e) {
    if (e instanceof VisitError) throw e.error;
    const cause = failure ?? e;
    if (cause instanceof UserError) throw cause;
    throw new UserError(`${what} is a truncated or corrupt tar`, {
      fix: 'Push or write the image again; the stored archive is damaged',
      cause,
    });
  } finally {
    input.destroy();
  }
  if (failure)
    throw failure instanceof UserError ? failure : new UserError(`${what} could not be read`, { cause: failure });
}

/** Carries what a `forEachTarEntry` visitor threw past the archive's own error handling. */
class VisitError {
  constructor(readonly error: unknown) {}
}

/** Files of a tar, by path without a leading `./` or `/`, with their type and (regular files) bytes. */
export async function tarEntries(tar: Uint8Array | Readable): Promise<Map<string, { type: string; bytes: Buffer }>> {
  const out = new Map<string, { type: string; bytes: Buffer }>();
  await forEachTarEntry(tar, async (e, read) => {
    out.set(e.name.replace(/^\.?\//, ''), { type: e.type, bytes: e.type === 'file' ? await read() : Buffer.alloc(0) });
  });
  return out;
}
