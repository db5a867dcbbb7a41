import { mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { UserError } from '@wasm-build/kit';
import { describe, expect, it } from 'vitest';
import { BAD_DIGESTS, treeSnapshot } from '../../../test/helpers/crafted.ts';
import {
  buildImage,
  checkLayoutDir,
  layoutManifestDigest,
  sha256,
  sourceDateEpoch,
  writeLayout,
} from '../src/layout.ts';
import { tarEntries } from '../src/tar.ts';

const wasm = Uint8Array.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]);

describe('buildImage', () => {
  it('is deterministic: the same module and options give the same manifest digest', async () => {
    const a = await buildImage({ wasm, name: 'hello', created: 1700000000 });
    const b = await buildImage({ wasm, name: 'hello', created: 1700000000 });
    expect(a.manifest.digest).toBe(b.manifest.digest);
    const c = await buildImage({ wasm, name: 'hello', created: 1700000001 });
    expect(c.manifest.digest).not.toBe(a.manifest.digest);
  });

  it('writes a FROM-scratch wasi/wasm image with the compat-smart annotation and the module alone in the layer', async () => {
    const img = await buildImage({
      wasm,
      name: 'hello',
      annotations: { 'org.opencontainers.image.revision': 'abc' },
      env: ['A=1'],
    });
    expect(img.configJson).toMatchObject({
      architecture: 'wasm',
      os: 'wasi',
      created: '1970-01-01T00:00:00Z',
      config: { Entrypoint: ['/hello.wasm'], Env: ['A=1'] },
      rootfs: { type: 'layers', diff_ids: [img.diffId] },
    });
    expect(img.manifestJson).toMatchObject({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      annotations: {
        'module.wasm.image/variant': 'compat-smart',
        'org.opencontainers.image.created': '1970-01-01T00:00:00Z',
        'org.opencontainers.image.revision': 'abc',
      },
    });
    const layer = img.blobs.get(img.layer.digest)!;
    expect(sha256(gunzipSync(layer))).toBe(img.diffId);
    const files = await tarEntries(gunzipSync(layer));
    expect([...files.keys()]).toEqual(['hello.wasm']);
    expect(sha256(files.get('hello.wasm')!.bytes)).toBe(img.wasmDigest);
  });

  it.each(['hello.wasm', '../x', 'a/b', ''])('refuses the name %j', async (name) => {
    await expect(buildImage({ wasm, name })).rejects.toThrow(/Invalid module name/);
  });
});

describe('writeLayout', () => {
  it('writes oci-layout, index.json with the tag, and every blob under its digest', async () => {
    const img = await buildImage({ wasm, name: 'm' });
    const dir = join(mkdtempSync(join(tmpdir(), 'layout-')), 'out');
    writeLayout(img, dir, 'v1');
    expect(JSON.parse(readFileSync(join(dir, 'oci-layout'), 'utf8'))).toEqual({ imageLayoutVersion: '1.0.0' });
    expect(layoutManifestDigest(dir, 'v1')).toBe(img.manifest.digest);
    const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8'));
    expect(index.manifests[0].platform).toEqual({ architecture: 'wasm', os: 'wasi' });
    const blobs = readdirSync(join(dir, 'blobs', 'sha256')).sort();
    expect(blobs).toEqual([...img.blobs.keys()].map((d) => d.slice(7)).sort());
    for (const b of blobs) expect(sha256(readFileSync(join(dir, 'blobs', 'sha256', b)))).toBe(`sha256:${b}`);
  });
});

describe('writeLayout refuses what it did not write, and leaves no scratch directory', () => {
  /** A parent holding a crate (Cargo.toml, src/main.rs) and the layout path `out` to write. */
  function crate() {
    const parent = mkdtempSync(join(tmpdir(), 'layout-'));
    const dir = join(parent, 'crate');
    mkdirSync(join(dir, 'src'), { recursive: true });
    writeFileSync(join(dir, 'Cargo.toml'), '[package]\nname = "hello"\n');
    writeFileSync(join(dir, 'src/main.rs'), 'fn main() {}\n');
    return { parent, dir };
  }
  const scratch = (parent: string) => readdirSync(parent).filter((n) => n.includes('.tmp-'));

  it('refuses a directory that is neither empty nor a layout (--layout . in a crate), touching nothing', async () => {
    const { parent, dir } = crate();
    const before = treeSnapshot(parent);
    const img = await buildImage({ wasm, name: 'm' });
    const err = (() => {
      try {
        writeLayout(img, dir, 'v1');
      } catch (e) {
        return e;
      }
    })() as UserError;
    expect(err).toBeInstanceOf(UserError);
    expect(err.message).toBe(
      `Refusing to write the OCI layout to "${dir}": it is a directory that is neither empty nor an OCI layout (no oci-layout file; it holds "Cargo.toml", "src")`,
    );
    expect(err.fix).toMatch(/^Pass a new or empty directory/);
    expect(treeSnapshot(parent)).toEqual(before);
    expect(() => checkLayoutDir(dir)).toThrow(err.message);
  });

  it('refuses a file and a symlink at the layout path', async () => {
    const { parent, dir } = crate();
    const img = await buildImage({ wasm, name: 'm' });
    const before = treeSnapshot(parent);
    expect(() => writeLayout(img, join(dir, 'Cargo.toml'), 'v1')).toThrow(
      `Refusing to write the OCI layout to "${join(dir, 'Cargo.toml')}": it is a file, not a directory`,
    );
    symlinkSync(dir, join(parent, 'link'));
    expect(() => writeLayout(img, join(parent, 'link'), 'v1')).toThrow(
      `Refusing to write the OCI layout to "${join(parent, 'link')}": it is a symlink`,
    );
    expect(treeSnapshot(parent, ['link'])).toEqual(before);
  });

  it('writes into an empty directory and replaces an existing layout, keeping what else is there', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'layout-'));
    const dir = join(parent, 'out');
    mkdirSync(dir);
    expect(checkLayoutDir(dir)).toBe('empty');
    const a = await buildImage({ wasm, name: 'a' });
    writeLayout(a, dir, 'v1');
    expect(checkLayoutDir(dir)).toBe('layout');
    writeFileSync(join(dir, 'NOTES'), 'mine');
    const b = await buildImage({ wasm, name: 'b' });
    writeLayout(b, dir, 'v2');
    expect(layoutManifestDigest(dir, 'v2')).toBe(b.manifest.digest);
    expect(layoutManifestDigest(dir, 'v1')).toBeUndefined();
    expect(readdirSync(join(dir, 'blobs', 'sha256')).sort()).toEqual([...b.blobs.keys()].map((d) => d.slice(7)).sort());
    expect(readFileSync(join(dir, 'NOTES'), 'utf8')).toBe('mine');
    expect(readdirSync(parent)).toEqual(['out']);
  });

  it.each(BAD_DIGESTS)('refuses the blob digest %j before it becomes a path', async (digest) => {
    const parent = mkdtempSync(join(tmpdir(), 'layout-'));
    const dir = join(parent, 'a', 'layout'); // two levels down: a traversal would land on parent/escaped
    const img = await buildImage({ wasm, name: 'm' });
    const blobs = new Map(img.blobs).set(digest, Buffer.from('evil'));
    expect(() => writeLayout({ ...img, blobs }, dir, 'v1')).toThrow(
      `Refusing to write blob ${JSON.stringify(digest)} to the OCI layout "${dir}": not a sha256:<64 hex> digest`,
    );
    expect(treeSnapshot(parent)).toEqual([]);
  });

  it('refuses a blob whose bytes do not hash to its digest', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'layout-'));
    const img = await buildImage({ wasm, name: 'm' });
    const blobs = new Map(img.blobs).set(img.layer.digest, Buffer.from('other bytes'));
    expect(() => writeLayout({ ...img, blobs }, join(parent, 'out'), 'v1')).toThrow(
      `Refusing to write blob "${img.layer.digest}" to the OCI layout "${join(parent, 'out')}": its bytes hash to ${sha256(Buffer.from('other bytes'))}`,
    );
    expect(readdirSync(parent)).toEqual([]);
  });

  it('leaves the old layout as it was and no scratch directory when writing fails midway', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'layout-'));
    const dir = join(parent, 'out');
    const a = await buildImage({ wasm, name: 'a' });
    writeLayout(a, dir, 'v1');
    const before = treeSnapshot(parent);
    const b = await buildImage({ wasm, name: 'b' });
    // The second pass over the blobs (the writes, after the scratch directory exists) fails.
    let passes = 0;
    const blobs = new Map(b.blobs);
    const iterate = blobs[Symbol.iterator].bind(blobs);
    blobs[Symbol.iterator] = () => {
      if (++passes === 2) throw new Error('disk fell off');
      return iterate();
    };
    expect(() => writeLayout({ ...b, blobs }, dir, 'v2')).toThrow(
      `Cannot write the OCI layout "${dir}": disk fell off`,
    );
    expect(passes).toBe(2);
    expect(scratch(parent)).toEqual([]);
    expect(treeSnapshot(parent)).toEqual(before);
  });
});

describe('sourceDateEpoch', () => {
  it.each([
    [{}, 0],
    [{ SOURCE_DATE_EPOCH: '' }, 0],
    [{ SOURCE_DATE_EPOCH: '1700000000' }, 1700000000],
  ])('%j → %d', (env, want) => {
    expect(sourceDateEpoch(env)).toBe(want);
  });
  it('rejects a malformed value', () => {
    expect(() => sourceDateEpoch({ SOURCE_DATE_EPOCH: 'yesterday' })).toThrow(
      /SOURCE_DATE_EPOCH must be whole seconds since 1970: got "yesterday"/,
    );
  });
});
