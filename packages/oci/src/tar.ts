import { type Header, pack } from 'tar-stream';

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
