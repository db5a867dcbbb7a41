import { gzipSync } from 'node:zlib';
import { UserError } from '@wasm-build/kit';
import { describe, expect, it } from 'vitest';
import { sha256 } from '../src/layout.ts';
import { LIMITS } from '../src/limits.ts';
import { entrypointModule, type RunnableImage } from '../src/pull.ts';
import {
  entryPath,
  forEachTarEntry,
  layerTar,
  layerTarCap,
  layerTarStream,
  packTar,
  type TarEntry,
  tarEntries,
} from '../src/tar.ts';

const GZIP = 'application/vnd.oci.image.layer.v1.tar+gzip';
const file = (name: string, data: string | Buffer): TarEntry => ({
  header: { name, type: 'file', mode: 0o755 },
  data: Buffer.from(data),
});
const symlink = (name: string, to: string): TarEntry => ({ header: { name, type: 'symlink', linkname: to } });
const dir = (name: string): TarEntry => ({ header: { name, type: 'directory', mode: 0o755 } });

async function layer(entries: TarEntry[]) {
  const bytes = gzipSync(await packTar(entries));
  return { mediaType: GZIP, digest: sha256(bytes), bytes };
}

async function image(entrypoint: string, ...layers: TarEntry[][]): Promise<RunnableImage> {
  return {
    digest: `sha256:${'1'.repeat(64)}`,
    platform: 'wasi/wasm',
    entrypoint: [entrypoint],
    cmd: [],
    env: [],
    annotations: {},
    layers: await Promise.all(layers.map(layer)),
  };
}

async function drain(s: NodeJS.ReadableStream): Promise<number> {
  let n = 0;
  for await (const c of s) n += (c as Buffer).length;
  return n;
}

describe('layer decompression is capped', () => {
  it('caps at 32x the compressed size, at least 16 MiB and at most 1 GiB', () => {
    expect(layerTarCap(100)).toBe(LIMITS.layerTarFloor);
    expect(layerTarCap(3 << 20)).toBe(96 << 20);
    expect(layerTarCap(2 ** 30)).toBe(2 ** 30);
  });

  it('layerTar and layerTarStream refuse a layer that inflates past the cap, and pass one that does not', async () => {
    const bomb = { mediaType: GZIP, digest: `sha256:${'b'.repeat(64)}`, bytes: gzipSync(Buffer.alloc(20 << 20)) };
    expect(bomb.bytes.length).toBeLessThan(100_000);
    const message = /^Refusing layer sha256:b{64}: it decompresses to more than 16777216 bytes/;
    expect(() => layerTar(bomb)).toThrow(message);
    await expect(drain(layerTarStream(bomb))).rejects.toThrow(message);
    expect(layerTar(bomb, { maxBytes: 21 << 20 })).toHaveLength(20 << 20);
    expect(await drain(layerTarStream(bomb, { maxBytes: 21 << 20 }))).toBe(20 << 20);
  });

  it('refuses a truncated or corrupt gzip stream in one line', async () => {
    const good = gzipSync(Buffer.alloc(100_000, 1));
    for (const bytes of [
      good.subarray(0, good.length - 20),
      Buffer.concat([good.subarray(0, 10), Buffer.alloc(50, 7)]),
    ]) {
      const l = { mediaType: GZIP, digest: `sha256:${'c'.repeat(64)}`, bytes };
      expect(() => layerTar(l)).toThrow(
        `Layer sha256:${'c'.repeat(64)} is not a valid gzip stream (truncated or corrupt)`,
      );
      await expect(drain(layerTarStream(l))).rejects.toThrow('is not a valid gzip stream (truncated or corrupt)');
    }
  });

  it('refuses zstd', () => {
    const l = {
      mediaType: 'application/vnd.oci.image.layer.v1.tar+zstd',
      digest: 'sha256:z',
      bytes: Buffer.from([0x28, 0xb5]),
    };
    expect(() => layerTarStream(l)).toThrow(UserError);
    expect(() => layerTar(l)).toThrow('is zstd-compressed');
  });
});

describe('forEachTarEntry', () => {
  it('lists entries and reads only what is asked for', async () => {
    const tar = await packTar([file('a.wasm', 'AAAA'), dir('d/'), file('d/b', 'B')]);
    const seen: string[] = [];
    let a: Buffer | undefined;
    await forEachTarEntry(tar, async (e, read) => {
      seen.push(`${e.type} ${e.name}`);
      if (e.name === 'a.wasm') a = await read();
    });
    expect(seen).toEqual(['file a.wasm', 'directory d/', 'file d/b']);
    expect(a?.toString()).toBe('AAAA');
    expect([...(await tarEntries(tar)).keys()]).toEqual(['a.wasm', 'd/', 'd/b']);
  });

  it('refuses a truncated tar in one line, not an uncaught "Unexpected end of data"', async () => {
    const tar = await packTar([file('a.wasm', Buffer.alloc(4096, 1))]);
    const cut = tar.subarray(0, 1024);
    await expect(forEachTarEntry(cut, () => {}, { what: 'Layer L' })).rejects.toThrow(
      'Layer L is a truncated or corrupt tar',
    );
    await expect(tarEntries(cut)).rejects.toThrow('is a truncated or corrupt tar');
  });

  it('refuses an entry whose header declares more than the cap before reading it', async () => {
    const tar = await packTar([file('a.wasm', Buffer.alloc(2048))]);
    await expect(forEachTarEntry(tar, () => {}, { what: 'Layer L', maxEntryBytes: 1024 })).rejects.toThrow(
      'Layer L has an entry "a.wasm" of 2048 bytes, more than the 1024 allowed',
    );
  });
});

describe('entryPath', () => {
  it.each([
    ['a.wasm', 'a.wasm'],
    ['/a.wasm', 'a.wasm'],
    ['./a.wasm', 'a.wasm'],
    ['d/', 'd'],
    ['./', ''],
    ['/', ''],
    ['a//b', 'a/b'],
    ['../a', undefined],
    ['a/../../b', undefined],
    ['a/../b', undefined],
  ])('%j is %j', (name, path) => {
    expect(entryPath(name)).toBe(path);
  });
});

describe('entrypointModule reads the file the layers leave at the entrypoint', () => {
  it('takes the topmost regular file', async () => {
    const img = await image('/app.wasm', [file('app.wasm', 'old')], [file('app.wasm', 'new')]);
    expect((await entrypointModule(img)).toString()).toBe('new');
  });

  it.each([
    ['a whiteout of the file', [file('bin/.wh.app.wasm', '')]],
    ['a whiteout of its parent', [file('.wh.bin', '')]],
    ['an opaque whiteout of its parent', [file('bin/.wh..wh..opq', '')]],
  ])('finds nothing after %s', async (_what, upper) => {
    const img = await image('/bin/app.wasm', [dir('bin/'), file('bin/app.wasm', 'x')], upper);
    await expect(entrypointModule(img)).rejects.toThrow(/runs \/bin\/app\.wasm, but no layer holds it/);
  });

  it('refuses a symlink at the entrypoint, even one to a regular file in the image', async () => {
    const img = await image(
      '/app.wasm',
      [file('app.wasm', 'verified'), file('other.wasm', 'runs')],
      [symlink('app.wasm', 'other.wasm')],
    );
    await expect(entrypointModule(img)).rejects.toThrow(
      /runs \/app\.wasm, which is a symlink \(to other\.wasm\), not a regular file/,
    );
  });

  it('refuses a path through a parent that a later layer made a symlink', async () => {
    const img = await image(
      '/bin/app.wasm',
      [dir('bin/'), file('bin/app.wasm', 'verified')],
      [file('.wh.bin', ''), symlink('bin', '../../host')],
    );
    await expect(entrypointModule(img)).rejects.toThrow(
      /runs \/bin\/app\.wasm, which is under \/bin, a symlink, not a regular file/,
    );
  });

  it('refuses a hard link at the entrypoint', async () => {
    const img = await image('/app.wasm', [
      file('x.wasm', 'x'),
      { header: { name: 'app.wasm', type: 'link', linkname: 'x.wasm' } },
    ]);
    await expect(entrypointModule(img)).rejects.toThrow(/which is a link \(to x\.wasm\), not a regular file/);
  });

  it.each(['.wh.', '.wh..', '.wh...', 'd/.wh..'])('refuses the whiteout %j, which names no file', async (name) => {
    const img = await image('/app.wasm', [file('app.wasm', 'x')], [file(name, '')]);
    await expect(entrypointModule(img)).rejects.toThrow(/is a whiteout of no file/);
  });

  it('refuses a layer entry that climbs out with ..', async () => {
    const img = await image('/app.wasm', [file('app.wasm', 'x'), file('../../etc/app.wasm', 'y')]);
    await expect(entrypointModule(img)).rejects.toThrow(/climbs out of the rootfs with "\.\."/);
  });

  it.each(['app.wasm', '/../app.wasm', '/a/../app.wasm', '/'])('refuses the Entrypoint %j', async (entrypoint) => {
    const img = await image(entrypoint, [file('app.wasm', 'x')]);
    await expect(entrypointModule(img)).rejects.toThrow(/not a clean absolute path/);
  });
});
