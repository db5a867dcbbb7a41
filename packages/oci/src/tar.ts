import { gunzipSync } from 'node:zlib';
import { UserError } from '@wasm-build/kit';
import { extract, type Header, pack } from 'tar-stream';

/** One tar entry: a tar-stream header and, for a regular file, its bytes. */
export interface TarEntry {
  header: Partial<Header> & Pick<Header, 'name'>;
  data?: Uint8Array;
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

/** Files of a tar, by path without a leading `./` or `/`. */
export async function tarEntries(tar: Uint8Array): Promise<Map<string, { type: string; bytes: Buffer }>> {
  const out = new Map<string, { type: string; bytes: Buffer }>();
  const ex = extract();
  const done = new Promise<void>((resolve, reject) => {
    ex.on('entry', (header, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c) => chunks.push(c as Buffer));
      stream.on('end', () => {
        out.set(header.name.replace(/^\.?\//, ''), { type: header.type ?? 'file', bytes: Buffer.concat(chunks) });
        next();
      });
      stream.resume();
    });
    ex.on('finish', resolve);
    ex.on('error', reject);
  });
  ex.end(Buffer.from(tar));
  await done;
  return out;
}

/**
 * The uncompressed tar of a layer blob: gunzipped when it starts with gzip's magic bytes, as it is when plain.
 * @throws UserError for a zstd layer (`+zstd` media type), which we do not read.
 * Source: OCI image-spec v1.1 layer.md (media types `…tar`, `…tar+gzip`, `…tar+zstd`).
 */
export function layerTar(layer: { mediaType: string; digest: string; bytes: Uint8Array }): Buffer {
  if (layer.bytes[0] === 0x1f && layer.bytes[1] === 0x8b) return gunzipSync(layer.bytes);
  if (/zstd/.test(layer.mediaType)) {
    throw new UserError(`Layer ${layer.digest} is zstd-compressed (${layer.mediaType})`, {
      fix: 'wasm-build reads gzip or plain tar layers; push the image with gzip layers',
    });
  }
  return Buffer.from(layer.bytes);
}
