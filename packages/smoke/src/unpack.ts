import {
  chmodSync,
  closeSync,
  constants,
  fchmodSync,
  linkSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readlinkSync,
  rmSync,
  type Stats,
  symlinkSync,
  writeSync,
} from 'node:fs';
import { isAbsolute, join, posix } from 'node:path';
import type { Readable } from 'node:stream';
import { UserError } from '@wasm-build/kit';
import { layerTarStream } from '@wasm-build/oci';
import { extract, type Header } from 'tar-stream';

/** A layer blob as stored: gzip-compressed or plain tar. */
export interface LayerBlob {
  mediaType: string;
  digest: string;
  bytes: Buffer;
}

const WHITEOUT = '.wh.';
const OPAQUE = '.wh..wh..opq';
/** Linux's MAXSYMLINKS: the kernel gives ELOOP after this many symlinks in one lookup (fs/namei.c). */
export const MAX_SYMLINK_HOPS = 40;

/** A name as it may appear in a one-line message: JSON-quoted (control characters escaped), long ones cut. */
function quoteName(name: string, max = 120): string {
  if (name.length <= max) return JSON.stringify(name);
  return `${JSON.stringify(`${name.slice(0, max)}…`)} (${Buffer.byteLength(name)} bytes)`;
}

function refuse(layer: string, name: string, why: string): UserError {
  return new UserError(`Refusing layer ${layer}: entry ${quoteName(name)} ${why}`, {
    fix: 'The image was not built by wasm-build or was tampered with; rebuild it from the crate',
  });
}

const OS_REASONS: Record<string, [why: string, fix: string]> = {
  ENAMETOOLONG: [
    'has a name longer than the file system allows (255 bytes a component, 4096 a path)',
    'Rebuild the image with shorter paths',
  ],
  ENOSPC: ['could not be written: no space left on the device', 'Free space in RUNNER_TEMP (or TMPDIR) and run again'],
  EDQUOT: ['could not be written: the disk quota is exhausted', 'Free space in RUNNER_TEMP (or TMPDIR) and run again'],
  EMLINK: ['could not be written: too many links or entries in one directory', 'Rebuild the image with fewer entries'],
  EACCES: ['could not be written: permission denied', 'Run with a RUNNER_TEMP (or TMPDIR) the runner can write'],
  EPERM: ['could not be written: operation not permitted', 'Run with a RUNNER_TEMP (or TMPDIR) the runner can write'],
};

/** An OS error while writing an entry, as one line naming the layer, the entry and the errno. */
function osError(layer: string, name: string | undefined, e: unknown): UserError {
  const code = (e as NodeJS.ErrnoException)?.code;
  const [why, fix] = (code && OS_REASONS[code]) ?? [
    `could not be written: ${(e instanceof Error ? e.message : String(e)).split('\n')[0]}`,
    'Rebuild the image; if it persists, report it',
  ];
  const entry = name === undefined ? 'an entry' : `entry ${quoteName(name)}`;
  return new UserError(`Cannot unpack layer ${layer}: ${entry} ${why}${code ? ` (${code})` : ''}`, { fix, cause: e });
}

/** `name` as a clean relative path inside the rootfs, or undefined when it climbs out of it. */
function inside(name: string): string | undefined {
  const clean = posix.normalize(name.replace(/^\/+/, ''));
  if (clean === '..' || clean.startsWith('../')) return undefined;
  if (name.split('/').includes('..')) return undefined;
  return clean === '.' ? '' : clean.replace(/\/$/, '');
}

function lstatOrUndefined(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw e;
  }
}

/**
 * Makes every parent of `rel` a real directory of the rootfs (created 0755 when missing). Throws when one is a
 * symlink or not a directory, so no write ever goes through a symlink and leaves the rootfs.
 */
function checkParents(rootfs: string, rel: string, layer: string, name: string): void {
  const parts = rel.split('/').slice(0, -1);
  let cur = rootfs;
  for (const p of parts) {
    cur = join(cur, p);
    const st = lstatOrUndefined(cur);
    if (!st) {
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
 * Where a path leads inside a root directory, followed as the kernel follows it: component by component from the
 * root, each symlink read and its target walked in its place (relative to the symlink's directory; an absolute
 * target from the root, as `openat2(RESOLVE_IN_ROOT)` does), at most `MAX_SYMLINK_HOPS` symlinks. Where the kernel
 * would go above the root (`..` at the root, which on the host is the rootfs's parent), the result is `escape`.
 * - `found`: `rel` (no symlink in it) exists; `path` is its host path, safe to open.
 * - `missing`: a component does not exist or is not a directory (the kernel's ENOENT/ENOTDIR); `rel` is as far as it got.
 * - `escape` / `loop`: `via` lists each symlink followed, `link -> target`.
 * Never follows anything outside `root`; lstat errors other than ENOENT/ENOTDIR (ENAMETOOLONG, EACCES) are thrown.
 * Source: Linux fs/namei.c (`link_path_walk`, MAXSYMLINKS), openat2(2) RESOLVE_IN_ROOT and RESOLVE_BENEATH.
 */
export type InRoot =
  | { kind: 'found'; rel: string; path: string; via: string[] }
  | { kind: 'missing'; rel: string; via: string[] }
  | { kind: 'escape'; via: string[] }
  | { kind: 'loop'; via: string[] };

/** Follows `path` (absolute or relative: both start at `root`) inside `root`; see `InRoot`. */
export function followInRoot(root: string, path: string): InRoot {
  const pending = path.split('/');
  const resolved: string[] = [];
  const via: string[] = [];
  while (pending.length) {
    const c = pending.shift()!;
    if (c === '' || c === '.') continue;
    if (c === '..') {
      if (!resolved.length) return { kind: 'escape', via };
      resolved.pop();
      continue;
    }
    const rel = [...resolved, c].join('/');
    const st = lstatOrUndefined(join(root, rel));
    if (!st) return { kind: 'missing', rel, via };
    if (st.isSymbolicLink()) {
      if (via.length >= MAX_SYMLINK_HOPS) return { kind: 'loop', via };
      const target = readlinkSync(join(root, rel));
      via.push(`${rel} -> ${target}`);
      if (isAbsolute(target)) resolved.length = 0;
      pending.unshift(...target.split('/'));
      continue;
    }
    if (!st.isDirectory() && pending.length) return { kind: 'missing', rel, via };
    resolved.push(c);
  }
  const rel = resolved.join('/');
  return { kind: 'found', rel, path: join(root, rel), via };
}

/** A symlink chain for a message: every link when short, else the first three and the last two. */
function chain(via: string[]): string {
  const shown = via.length <= 6 ? via : [...via.slice(0, 3), '…', ...via.slice(-2)];
  return `${shown.map((v) => quoteName(v, 80)).join(', ')}${via.length > 6 ? ` (${via.length} links)` : ''}`;
}

/** Throws when the symlink at `rel` leads outside the rootfs or loops, followed as the kernel would. */
function checkSymlink(rootfs: string, rel: string, layer: string): void {
  const r = followInRoot(rootfs, rel);
  if (r.kind === 'escape')
    throw refuse(layer, rel, `is a symlink that leads outside the rootfs when followed: ${chain(r.via)}`);
  if (r.kind === 'loop')
    throw refuse(layer, rel, `is a chain of more than ${MAX_SYMLINK_HOPS} symlinks (a loop?): ${chain(r.via)}`);
}

/**
 * The host path of the regular file `path` names inside `rootfs`, followed as the kernel would (`followInRoot`):
 * the path returned holds no symlink, so a runtime given it opens exactly that file.
 * @throws UserError when the path leads outside the rootfs, loops, does not exist or is not a regular file;
 * `what` names it in the message (e.g. `Image sha256:… runs "/app.wasm"`).
 */
export function resolveInRootfs(rootfs: string, path: string, what: string): string {
  const fix = 'Build the image with wasm-build image: its entrypoint is a regular file at /<name>.wasm';
  let r: InRoot;
  try {
    r = followInRoot(rootfs, path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(`${what}, which cannot be looked up in the rootfs${code ? ` (${code})` : ''}`, {
      fix,
      cause: e,
    });
  }
  switch (r.kind) {
    case 'escape':
      throw new UserError(`${what}, which leads outside the rootfs when followed: ${chain(r.via)}`, { fix });
    case 'loop':
      throw new UserError(`${what}, a chain of more than ${MAX_SYMLINK_HOPS} symlinks: ${chain(r.via)}`, { fix });
    case 'missing':
      throw new UserError(`${what}, which is not in the rootfs (no /${r.rel})`, { fix });
    case 'found': {
      const st = lstatSync(r.path);
      if (!st.isFile()) throw new UserError(`${what}, which is not a regular file (/${r.rel})`, { fix });
      return r.path;
    }
  }
}

/** What unpacking carries across layers: directory modes applied at the end, and which layer made each symlink. */
interface UnpackState {
  dirModes: Map<string, number>;
  links: Map<string, string>;
}

/**
 * Unpacks image layers, in order, into `rootfs` as a container engine would, refusing anything that could touch the
 * host: a path with `..`, a symlink that is absolute or leads outside the rootfs when followed as the kernel would
 * (component by component, through other symlinks, `followInRoot`; checked when made and again after the last
 * layer, when every link is in place), a symlink loop, a hard link to outside it or to a non-file, a write through a
 * symlinked directory, a whiteout of nothing, `.` or `..` (`.wh.`, `.wh..`, `.wh...`), device nodes and FIFOs.
 * Whiteouts (`.wh.NAME`, `.wh..wh..opq`) remove what lower layers wrote.
 * Permission bits only are kept (no setuid/setgid/sticky), with the owner's read bit added (and the owner's execute
 * bit on directories) so the runner's user can read the module; directory modes are applied after the last layer,
 * so a read-only directory does not stop the entries after it. Owners are not changed. File data is streamed to
 * disk, not held.
 *
 * @throws UserError naming the layer digest, the entry and why it was refused; for an OS error writing an entry
 * (ENAMETOOLONG, ENOSPC, …) with the errno; for a truncated or corrupt tar; or from `layerTarStream` (zstd, a
 * corrupt gzip stream, a layer that decompresses past its cap: the tar is streamed, never held whole).
 * Source: OCI image-spec v1.1 layer.md ("Changesets", "Whiteouts"); containerd archive/tar.go (breakout checks) in
 * spirit; Linux fs/namei.c for symlink resolution.
 */
export async function unpackLayers(layers: LayerBlob[], rootfs: string): Promise<void> {
  mkdirSync(rootfs, { recursive: true });
  const state: UnpackState = { dirModes: new Map(), links: new Map() };
  for (const layer of layers) await unpackTar(layerTarStream(layer), rootfs, layer.digest, state);
  const last = layers.at(-1)?.digest ?? '(none)';
  try {
    finish(rootfs, state, last);
  } catch (e) {
    throw e instanceof UserError ? e : osError(last, undefined, e);
  }
}

function corrupt(layer: string, what: string, after: string | undefined, e: unknown): UserError {
  const msg = (e instanceof Error ? e.message : String(e)).split('\n')[0];
  return new UserError(
    `Cannot unpack layer ${layer}: ${what} is truncated or corrupt (${msg})${after === undefined ? '' : ` at entry ${quoteName(after)}`}`,
    { fix: 'Pull or write the image again; if it persists, rebuild and push it', cause: e },
  );
}

async function unpackTar(tar: Readable, rootfs: string, layer: string, state: UnpackState): Promise<void> {
  const ex = extract();
  tar.on('error', (e) => ex.destroy(e));
  tar.pipe(ex as unknown as NodeJS.WritableStream);
  let name: string | undefined;
  try {
    for await (const entry of ex) {
      name = entry.header.name;
      let fd: number | undefined;
      try {
        fd = applyEntry(entry.header, rootfs, layer, state);
      } catch (e) {
        if (e instanceof UserError) throw e;
        throw osError(layer, name, e);
      }
      if (fd === undefined) {
        entry.resume(); // only regular files carry data we keep
        continue;
      }
      try {
        for await (const chunk of entry) writeAll(fd, chunk as Buffer, layer, name);
      } finally {
        closeSync(fd);
      }
    }
  } catch (e) {
    if (e instanceof UserError) throw e;
    throw corrupt(layer, 'its tar', name, e);
  } finally {
    tar.destroy();
  }
}

function writeAll(fd: number, chunk: Buffer, layer: string, name: string): void {
  try {
    for (let off = 0; off < chunk.length; ) off += writeSync(fd, chunk, off);
  } catch (e) {
    throw osError(layer, name, e);
  }
}

/** Applies one entry; for a regular file returns the open descriptor its data is to be written to. */
function applyEntry(h: Header, rootfs: string, layer: string, state: UnpackState): number | undefined {
  const rel = inside(h.name);
  if (rel === undefined) throw refuse(layer, h.name, 'climbs out of the rootfs with ".."');
  if (rel === '') return; // the root directory itself
  const base = posix.basename(rel);
  if (base.startsWith(WHITEOUT)) {
    checkParents(rootfs, rel, layer, h.name);
    const dir = join(rootfs, posix.dirname(rel));
    if (base === OPAQUE) {
      for (const f of readdirSync(dir)) removePath(join(dir, f));
      return;
    }
    const victim = base.slice(WHITEOUT.length);
    if (victim === '' || victim === '.' || victim === '..') {
      throw refuse(
        layer,
        h.name,
        `is a whiteout of ${victim ? `"${victim}"` : 'an empty name'}, which would delete its own directory or a parent of it`,
      );
    }
    removePath(join(dir, victim));
    return;
  }
  checkParents(rootfs, rel, layer, h.name);
  const target = join(rootfs, rel);
  const mode = (h.mode ?? 0o644) & 0o777;
  switch (h.type) {
    case 'directory': {
      const st = lstatOrUndefined(target);
      if (st && !st.isDirectory()) removePath(target);
      if (!st?.isDirectory()) mkdirSync(target, { mode: 0o755 });
      state.dirModes.set(rel, mode | 0o500);
      return;
    }
    case 'file':
    case 'contiguous-file': {
      removePath(target);
      // O_EXCL|O_NOFOLLOW: the path was just emptied; never open through anything that appeared there.
      const fd = openSync(target, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW);
      fchmodSync(fd, mode | 0o400);
      return fd;
    }
    case 'symlink': {
      const link = h.linkname ?? '';
      if (link === '') throw refuse(layer, h.name, 'is a symlink to an empty name');
      if (isAbsolute(link))
        throw refuse(layer, h.name, `is an absolute symlink (to ${link}) that would leave the rootfs on the host`);
      if (inside(posix.join(posix.dirname(rel), link)) === undefined)
        throw refuse(layer, h.name, `is a symlink to ${link}, outside the rootfs`);
      removePath(target);
      symlinkSync(link, target);
      state.links.set(rel, layer);
      checkSymlink(rootfs, rel, layer);
      return;
    }
    case 'link': {
      const src = inside(h.linkname ?? '');
      if (src === undefined || src === '')
        throw refuse(layer, h.name, `is a hard link to ${h.linkname}, outside the rootfs`);
      checkParents(rootfs, src, layer, h.name);
      const st = lstatOrUndefined(join(rootfs, src));
      if (!st?.isFile())
        throw refuse(layer, h.name, `is a hard link to ${h.linkname}, which is not a file in the rootfs`);
      if (src === rel) return; // a link to itself: already there
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

/**
 * After the last layer: every symlink followed again now that all are in place (a later link can turn an earlier
 * one into an escape), and directory modes applied, deepest first. Walks real directories only, never a symlink.
 */
function finish(rootfs: string, state: UnpackState, lastLayer: string): void {
  const dirs: string[] = [];
  const stack = [''];
  while (stack.length) {
    const rel = stack.pop()!;
    for (const d of readdirSync(join(rootfs, rel), { withFileTypes: true })) {
      const child = rel ? `${rel}/${d.name}` : d.name;
      if (d.isSymbolicLink()) checkSymlink(rootfs, child, state.links.get(child) ?? lastLayer);
      else if (d.isDirectory()) {
        dirs.push(child);
        stack.push(child);
      }
    }
  }
  for (const rel of dirs.reverse()) {
    const mode = state.dirModes.get(rel);
    if (mode !== undefined) chmodSync(join(rootfs, rel), mode);
  }
}

/**
 * Removes a directory tree the way `rm -rf` run by its owner would, read-only directories included: when removal is
 * refused (EACCES/EPERM), every real directory in it (never through a symlink) is made owner-writable and removal
 * is tried again.
 * @throws the OS error when the tree still cannot be removed (e.g. it holds files of another user).
 */
export function removeTree(path: string): void {
  try {
    rmSync(path, { recursive: true, force: true });
    return;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EACCES' && code !== 'EPERM' && code !== 'ENOTEMPTY') throw e;
  }
  const stack = [path];
  while (stack.length) {
    const dir = stack.pop()!;
    const st = lstatOrUndefined(dir);
    if (!st?.isDirectory()) continue;
    try {
      chmodSync(dir, (st.mode & 0o7777) | 0o700);
    } catch {
      continue; // not ours: the second rmSync reports it
    }
    for (const d of readdirSync(dir, { withFileTypes: true })) if (d.isDirectory()) stack.push(join(dir, d.name));
  }
  rmSync(path, { recursive: true, force: true });
}
