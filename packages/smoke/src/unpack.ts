import { chmodSync, linkSync, lstatSync, mkdirSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, posix } from 'node:path';
import { UserError } from '@wasm-build/kit';
import { layerTar } from '@wasm-build/oci';
import { extract, type Header } from 'tar-stream';

/** A layer blob as stored: gzip-compressed or plain tar. */
export interface LayerBlob {
  mediaType: string;
  digest: string;
  bytes: Buffer;
}

const WHITEOUT = '.wh.';
const OPAQUE = '.wh..wh..opq';

function refuse(layer: string, name: string, why: string): UserError {
  return new UserError(`Refusing layer ${layer}: entry "${name}" ${why}`, {
    fix: 'The image was not built by wasm-build or was tampered with; rebuild it from the crate',
  });
}

/** `name` as a clean relative path inside the rootfs, or undefined when it climbs out of it. */
function inside(name: string): string | undefined {
  const clean = posix.normalize(name.replace(/^\/+/, ''));
  if (clean === '..' || clean.startsWith('../')) return undefined;
  if (name.split('/').includes('..')) return undefined;
  return clean === '.' ? '' : clean.replace(/\/$/, '');
}

/** Throws when a parent of `rel` in the rootfs is a symlink or not a directory (a write would leave the rootfs). */
function checkParents(rootfs: string, rel: string, layer: string, name: string): void {
  const parts = rel.split('/').slice(0, -1);
  let cur = rootfs;
  for (const p of parts) {
    cur = join(cur, p);
    let st: ReturnType<typeof lstatSync> | undefined;
    try {
      st = lstatSync(cur);
    } catch {
      mkdirSync(cur, { mode: 0o755 });
      continue;
    }
    if (st.isSymbolicLink())
      throw refuse(layer, name, `would be written through the symlink ${cur.slice(rootfs.length)}`);
    if (!st.isDirectory())
      throw refuse(layer, name, `has a parent that is not a directory (${cur.slice(rootfs.length)})`);
  }
}

function removePath(path: string): void {
  rmSync(path, { recursive: true, force: true });
}

/**
 * Unpacks image layers, in order, into `rootfs` as a container engine would, refusing anything that could touch the
 * host: a path with `..`, a symlink that is absolute or resolves outside the rootfs, a hard link to outside it, a
 * write through a symlinked directory, and device nodes or FIFOs. Whiteouts (`.wh.NAME`, `.wh..wh..opq`) remove
 * what lower layers wrote. File modes keep their permission bits only (no setuid/setgid); owners are not changed.
 *
 * @throws UserError naming the layer digest, the entry and why it was refused; or for zstd (from `layerTar`).
 * Source: OCI image-spec v1.1 layer.md ("Changesets", "Whiteouts"); the path checks of containerd's
 * archive/tar.go (`validateWhiteout`, breakout checks) in spirit.
 */
export async function unpackLayers(layers: LayerBlob[], rootfs: string): Promise<void> {
  mkdirSync(rootfs, { recursive: true });
  for (const layer of layers) {
    await unpackTar(layerTar(layer), rootfs, layer.digest);
  }
}

async function unpackTar(tar: Buffer, rootfs: string, layer: string): Promise<void> {
  const ex = extract();
  const done = new Promise<void>((resolve, reject) => {
    ex.on('entry', (h: Header, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c) => chunks.push(c as Buffer));
      stream.on('end', () => {
        try {
          applyEntry(h, Buffer.concat(chunks), rootfs, layer);
          next();
        } catch (e) {
          reject(e);
          ex.destroy();
        }
      });
      stream.resume();
    });
    ex.on('finish', resolve);
    ex.on('error', reject);
  });
  ex.end(tar);
  await done;
}

function applyEntry(h: Header, data: Buffer, rootfs: string, layer: string): void {
  const rel = inside(h.name);
  if (rel === undefined) throw refuse(layer, h.name, 'climbs out of the rootfs with ".."');
  if (rel === '') return; // the root directory itself
  const base = posix.basename(rel);
  if (base.startsWith(WHITEOUT)) {
    checkParents(rootfs, rel, layer, h.name);
    const dir = join(rootfs, posix.dirname(rel));
    if (base === OPAQUE) for (const f of readdirSync(dir)) removePath(join(dir, f));
    else removePath(join(dir, base.slice(WHITEOUT.length)));
    return;
  }
  checkParents(rootfs, rel, layer, h.name);
  const target = join(rootfs, rel);
  const mode = (h.mode ?? 0o644) & 0o777;
  switch (h.type) {
    case 'directory': {
      const st = lstatSync(target, { throwIfNoEntry: false });
      if (st && !st.isDirectory()) removePath(target);
      mkdirSync(target, { recursive: true, mode });
      chmodSync(target, mode);
      return;
    }
    case 'file':
    case 'contiguous-file':
      removePath(target);
      writeFileSync(target, data, { mode });
      chmodSync(target, mode);
      return;
    case 'symlink': {
      const link = h.linkname ?? '';
      if (isAbsolute(link))
        throw refuse(layer, h.name, `is an absolute symlink (to ${link}) that would leave the rootfs on the host`);
      if (inside(posix.join(posix.dirname(rel), link)) === undefined)
        throw refuse(layer, h.name, `is a symlink to ${link}, outside the rootfs`);
      removePath(target);
      symlinkSync(link, target);
      return;
    }
    case 'link': {
      const src = inside(h.linkname ?? '');
      if (src === undefined || src === '')
        throw refuse(layer, h.name, `is a hard link to ${h.linkname}, outside the rootfs`);
      checkParents(rootfs, src, layer, h.name);
      const st = lstatSync(join(rootfs, src), { throwIfNoEntry: false });
      if (!st?.isFile())
        throw refuse(layer, h.name, `is a hard link to ${h.linkname}, which is not a file in the rootfs`);
      removePath(target);
      linkSync(join(rootfs, src), target);
      return;
    }
    case 'character-device':
    case 'block-device':
      throw refuse(layer, h.name, `is a device node (${h.type}); a wasm image holds none`);
    case 'fifo':
      throw refuse(layer, h.name, 'is a FIFO; a wasm image holds none');
    default:
      // pax headers and the like are consumed by tar-stream; anything else is not a filesystem entry we write.
      return;
  }
}
