import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { UserError } from '@wasm-build/kit';
import { packTar, type TarEntry } from '@wasm-build/oci';
import { describe, expect, it } from 'vitest';
import {
  dir,
  escapeChain,
  fifo,
  longComponent,
  longPath,
  symlink,
  WHITEOUT_ESCAPES,
  whiteout,
} from '../../../test/helpers/crafted.ts';
import { followInRoot, resolveInRootfs, unpackLayers } from '../src/unpack.ts';

const file = (name: string, text = 'x'): TarEntry => ({ header: { name, mode: 0o4755 }, data: Buffer.from(text) });
const layer = async (entries: TarEntry[], digest = 'sha256:l1') => ({
  mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
  digest,
  bytes: gzipSync(await packTar(entries)),
});

/** A fresh rootfs inside a fresh parent, so anything written outside the rootfs shows up in the parent. */
function fresh() {
  const parent = mkdtempSync(join(tmpdir(), 'unpack-'));
  return { parent, rootfs: join(parent, 'rootfs') };
}

describe('unpackLayers', () => {
  it('writes files, directories and inside symlinks, drops setuid bits, and applies whiteouts', async () => {
    const { rootfs } = fresh();
    await unpackLayers(
      [
        await layer([
          { header: { name: 'app/', type: 'directory', mode: 0o755 } },
          file('app/hello.wasm', 'wasm'),
          file('app/old.txt'),
          file('gone/a'),
          { header: { name: 'app/link', type: 'symlink', linkname: 'hello.wasm' } },
          { header: { name: 'app/hard', type: 'link', linkname: 'app/hello.wasm' } },
        ]),
        await layer([file('app/.wh.old.txt', ''), file('gone/.wh..wh..opq', '')], 'sha256:l2'),
      ],
      rootfs,
    );
    expect(readFileSync(join(rootfs, 'app/hello.wasm'), 'utf8')).toBe('wasm');
    expect(lstatSync(join(rootfs, 'app/hello.wasm')).mode & 0o7777).toBe(0o755);
    expect(readlinkSync(join(rootfs, 'app/link'))).toBe('hello.wasm');
    expect(readFileSync(join(rootfs, 'app/hard'), 'utf8')).toBe('wasm');
    expect(readdirSync(join(rootfs, 'app')).sort()).toEqual(['hard', 'hello.wasm', 'link']);
    expect(readdirSync(join(rootfs, 'gone'))).toEqual([]);
  });

  it.each([
    ['a path with ../', [file('../evil')], 'entry "../evil" climbs out of the rootfs with ".."'],
    ['a nested ..', [file('a/../../evil')], 'entry "a/../../evil" climbs out of the rootfs with ".."'],
    [
      'an absolute symlink',
      [{ header: { name: 'passwd', type: 'symlink', linkname: '/etc/passwd' } }],
      'entry "passwd" is an absolute symlink (to /etc/passwd) that would leave the rootfs on the host',
    ],
    [
      'a relative symlink out',
      [{ header: { name: 'a/up', type: 'symlink', linkname: '../../evil' } }],
      'entry "a/up" is a symlink to ../../evil, outside the rootfs',
    ],
    [
      'a hard link out',
      [{ header: { name: 'h', type: 'link', linkname: '../evil' } }],
      'entry "h" is a hard link to ../evil, outside the rootfs',
    ],
    [
      'a write through a symlinked directory',
      [{ header: { name: 'd', type: 'symlink', linkname: '.' } }, file('d/x')],
      'entry "d/x" would be written through the symlink /d',
    ],
    [
      'a character device',
      [{ header: { name: 'dev/null', type: 'character-device', devmajor: 1, devminor: 3 } }],
      'entry "dev/null" is a device node (character-device)',
    ],
    [
      'a block device',
      [{ header: { name: 'sda', type: 'block-device', devmajor: 8, devminor: 0 } }],
      'entry "sda" is a device node (block-device)',
    ],
    ['a FIFO', [{ header: { name: 'pipe', type: 'fifo' } }], 'entry "pipe" is a FIFO'],
  ] as [string, TarEntry[], string][])('refuses %s by name and writes nothing outside', async (_what, entries, why) => {
    const { parent, rootfs } = fresh();
    await expect(unpackLayers([await layer(entries, 'sha256:bad')], rootfs)).rejects.toThrow(
      `Refusing layer sha256:bad: ${why}`,
    );
    expect(readdirSync(parent)).toEqual(['rootfs']);
    expect(existsSync(join(rootfs, 'x'))).toBe(false);
  });
});

/** A rootfs with a sentinel file beside it: the parent must hold exactly these two afterwards, the sentinel intact. */
function guarded() {
  const { parent, rootfs } = fresh();
  writeFileSync(join(parent, 'sentinel'), 'keep me');
  const intact = () => {
    expect(readdirSync(parent).sort()).toEqual(['rootfs', 'sentinel']);
    expect(readFileSync(join(parent, 'sentinel'), 'utf8')).toBe('keep me');
  };
  return { parent, rootfs, intact };
}

const plain = async (entries: TarEntry[], digest: string) => ({
  mediaType: 'application/vnd.oci.image.layer.v1.tar',
  digest,
  bytes: await packTar(entries),
});

describe('unpackLayers: whiteouts', () => {
  it.each(
    WHITEOUT_ESCAPES.map((name) => {
      const victim = name.slice(name.lastIndexOf('.wh.') + 4);
      return [name, victim ? `"${victim}"` : 'an empty name'];
    }),
  )('refuses the whiteout %j (of %s) and deletes nothing', async (name, what) => {
    const { rootfs, intact } = guarded();
    const lower = await layer([file('dir/keep'), file('top')], 'sha256:l1');
    await expect(unpackLayers([lower, await layer([whiteout(name)], 'sha256:l2')], rootfs)).rejects.toThrow(
      `Refusing layer sha256:l2: entry "${name}" is a whiteout of ${what}, which would delete its own directory or a parent of it`,
    );
    intact();
    expect(readFileSync(join(rootfs, 'dir/keep'), 'utf8')).toBe('x');
    expect(readFileSync(join(rootfs, 'top'), 'utf8')).toBe('x');
  });
});

describe('unpackLayers: symlinks followed as the kernel would', () => {
  it('refuses a chain that is lexically inside but leads above the rootfs', async () => {
    const { rootfs, intact } = guarded();
    const entries = [dir('sub/'), symlink('sub/up', '..'), symlink('sub/x', 'up/..')];
    await expect(unpackLayers([await layer(entries, 'sha256:bad')], rootfs)).rejects.toThrow(
      'Refusing layer sha256:bad: entry "sub/x" is a symlink that leads outside the rootfs when followed: "sub/x -> up/..", "sub/up -> .."',
    );
    intact();
  });

  it('refuses the generator chain to a host path, naming the first and last links', async () => {
    const { rootfs, intact } = guarded();
    await expect(
      unpackLayers([await layer(escapeChain('app.wasm', '/etc/hostname', 8), 'sha256:bad')], rootfs),
    ).rejects.toThrow(/^Refusing layer sha256:bad: entry "sub\/l1" is a symlink that leads outside the rootfs/);
    intact();
  });

  it('refuses a chain that a later layer completes, once every link is in place', async () => {
    const { rootfs, intact } = guarded();
    const l1 = await layer([dir('sub/'), symlink('sub/x', 'up/..')], 'sha256:l1'); // dangling: up does not exist yet
    const l2 = await layer([symlink('sub/up', '..')], 'sha256:l2'); // alone, it points at the root
    await expect(unpackLayers([l1, l2], rootfs)).rejects.toThrow(
      'Refusing layer sha256:l1: entry "sub/x" is a symlink that leads outside the rootfs when followed: "sub/x -> up/..", "sub/up -> .."',
    );
    intact();
  });

  it('refuses a symlink loop', async () => {
    const { rootfs } = guarded();
    await expect(
      unpackLayers([await layer([symlink('a', 'b'), symlink('b', 'a')], 'sha256:loop')], rootfs),
    ).rejects.toThrow(/^Refusing layer sha256:loop: entry "b" is a chain of more than 40 symlinks \(a loop\?\)/);
  });

  it('keeps links that stay inside, dangling ones included', async () => {
    const { rootfs, intact } = guarded();
    await unpackLayers(
      [
        await layer([
          dir('a/b/'),
          file('a/b/m.wasm', 'm'),
          symlink('a/up', '..'),
          symlink('a/m', 'up/a/b/m.wasm'),
          symlink('dangling', 'nowhere/x'),
        ]),
      ],
      rootfs,
    );
    expect(readFileSync(join(rootfs, 'a/m'), 'utf8')).toBe('m');
    expect(readlinkSync(join(rootfs, 'dangling'))).toBe('nowhere/x');
    intact();
  });
});

describe('unpackLayers: OS errors and broken archives are one-line UserErrors', () => {
  it.each([
    ['a 300-byte component', longComponent(300), /^entry "n{120}…" \(300 bytes\)/],
    ['a 5000-byte path', longPath(5000), /^entry "p{120}…" \(5\d\d\d bytes\)/],
  ])('%s: ENAMETOOLONG names the layer and the entry', async (_what, name, entry) => {
    const { rootfs, intact } = guarded();
    const err = await unpackLayers([await layer([file(name)], 'sha256:long')], rootfs).catch((e) => e);
    expect(err).toBeInstanceOf(UserError);
    expect(err.message.startsWith('Cannot unpack layer sha256:long: ')).toBe(true);
    expect(err.message.slice('Cannot unpack layer sha256:long: '.length)).toMatch(entry);
    expect(err.message).toMatch(
      /has a name longer than the file system allows \(255 bytes a component, 4096 a path\) \(ENAMETOOLONG\)$/,
    );
    expect(err.message).not.toContain('\n');
    intact();
  });

  it.each([
    ['inside a file', 1500],
    ['inside a header', 5632 + 100],
  ])('a tar cut %s is a UserError at the entry, not an uncaught stream error', async (_where, keep) => {
    const { rootfs, intact } = guarded();
    const whole = await plain([file('a.wasm', 'a'.repeat(5000)), dir('b/')], 'sha256:cut');
    const cut = { ...whole, bytes: whole.bytes.subarray(0, keep) };
    const err = await unpackLayers([cut], rootfs).catch((e) => e);
    expect(err).toBeInstanceOf(UserError);
    expect(err.message).toBe(
      'Cannot unpack layer sha256:cut: its tar is truncated or corrupt (Unexpected end of data) at entry "a.wasm"',
    );
    intact();
  });

  it('a cut gzip stream is a UserError naming the layer', async () => {
    const { rootfs } = guarded();
    const l = await layer([file('a.wasm', 'a'.repeat(5000))], 'sha256:cutgz');
    const err = await unpackLayers([{ ...l, bytes: l.bytes.subarray(0, 40) }], rootfs).catch((e) => e);
    expect(err).toBeInstanceOf(UserError);
    expect(err.message).toContain('sha256:cutgz');
  });

  it('quotes a name with control characters, so the message stays one line', async () => {
    const { rootfs } = guarded();
    const name = 'x\n::error::injected';
    await expect(unpackLayers([await layer([fifo(name)], 'sha256:nl')], rootfs)).rejects.toThrow(
      'Refusing layer sha256:nl: entry "x\\n::error::injected" is a FIFO',
    );
  });
});

describe('unpackLayers: modes', () => {
  it('applies directory modes after the last entry, and gives the owner read on files', async () => {
    const { rootfs } = guarded();
    await unpackLayers(
      [await layer([dir('ro/', 0o555), { header: { name: 'ro/f', mode: 0o200 }, data: Buffer.from('f') }])],
      rootfs,
    );
    expect(lstatSync(join(rootfs, 'ro')).mode & 0o777).toBe(0o555);
    expect(lstatSync(join(rootfs, 'ro/f')).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(rootfs, 'ro/f'), 'utf8')).toBe('f');
  });
});

describe('followInRoot', () => {
  const { rootfs } = fresh();
  mkdirSync(join(rootfs, 'a/b'), { recursive: true });
  writeFileSync(join(rootfs, 'a/b/m.wasm'), 'm');
  symlinkSync('b/m.wasm', join(rootfs, 'a/rel'));
  symlinkSync('/a/b', join(rootfs, 'abs')); // absolute: from the root, as RESOLVE_IN_ROOT does
  symlinkSync('..', join(rootfs, 'a/up'));
  symlinkSync('up/..', join(rootfs, 'a/out'));
  symlinkSync('self', join(rootfs, 'self'));

  it.each([
    ['/a/b/m.wasm', { kind: 'found', rel: 'a/b/m.wasm', via: [] }],
    ['a/rel', { kind: 'found', rel: 'a/b/m.wasm', via: ['a/rel -> b/m.wasm'] }],
    ['/abs/m.wasm', { kind: 'found', rel: 'a/b/m.wasm', via: ['abs -> /a/b'] }],
    ['/a/up/a/rel', { kind: 'found', rel: 'a/b/m.wasm', via: ['a/up -> ..', 'a/rel -> b/m.wasm'] }],
    ['/a/b/../b/m.wasm', { kind: 'found', rel: 'a/b/m.wasm', via: [] }],
    ['/..', { kind: 'escape', via: [] }],
    ['/a/out', { kind: 'escape', via: ['a/out -> up/..', 'a/up -> ..'] }],
    ['/a/out/etc/passwd', { kind: 'escape', via: ['a/out -> up/..', 'a/up -> ..'] }],
    ['/nope/x', { kind: 'missing', rel: 'nope', via: [] }],
    ['/a/b/m.wasm/x', { kind: 'missing', rel: 'a/b/m.wasm', via: [] }],
  ])('%s', (path, want) => {
    expect(followInRoot(rootfs, path)).toMatchObject(want);
  });

  it('stops after 40 symlinks', () => {
    const r = followInRoot(rootfs, '/self');
    expect(r.kind).toBe('loop');
    expect(r.kind === 'loop' && r.via.length).toBe(40);
  });

  it('resolveInRootfs gives a symlink-free host path, and refuses what is not a regular file inside', () => {
    expect(resolveInRootfs(rootfs, '/a/rel', 'runs')).toBe(join(rootfs, 'a/b/m.wasm'));
    expect(() => resolveInRootfs(rootfs, '/a/out/etc/passwd', 'Image X runs "/a/out/etc/passwd"')).toThrow(
      'Image X runs "/a/out/etc/passwd", which leads outside the rootfs when followed: "a/out -> up/..", "a/up -> .."',
    );
    expect(() => resolveInRootfs(rootfs, '/a/b', 'runs')).toThrow('runs, which is not a regular file (/a/b)');
    expect(() => resolveInRootfs(rootfs, '/a/none.wasm', 'runs')).toThrow(
      'runs, which is not in the rootfs (no /a/none.wasm)',
    );
  });
});
