import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { buildImage, layoutManifestDigest, sha256, sourceDateEpoch, writeLayout } from '../src/layout.ts';
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
