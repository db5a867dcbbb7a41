import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { packTar, type TarEntry } from '@wasm-build/oci';
import { describe, expect, it } from 'vitest';
import { unpackLayers } from '../src/unpack.ts';

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
