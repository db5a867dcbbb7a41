// The image layout as real OCI tools read it: skopeo inspect, umoci unpack; and a real push + read-back.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { memoryLog } from '@wasm-build/kit';
import {
  buildImage,
  freePort,
  type ImageRef,
  parseImageRef,
  pushImage,
  RegistryClient,
  readBack,
  sha256,
  writeLayout,
} from '@wasm-build/oci';
import { describe, expect, it } from 'vitest';
import { corpusFile } from './helpers/corpus.ts';
import { useLocalRegistry } from './helpers/registry.ts';
import { HAVE, requireTools } from './helpers/tools.ts';

const wasm = corpusFile('binaries/wasi-testsuite_as_fd_write-to-stdout.wasm');
const tools = requireTools('image layout tests', {
  'skopeo (apt skopeo)': HAVE.skopeo,
  'umoci (apt umoci)': HAVE.umoci,
});
const registryTools = requireTools('registry tests', {
  'skopeo (apt skopeo)': HAVE.skopeo,
  'docker-registry (apt docker-registry)': HAVE.registry,
});

async function layout() {
  const img = await buildImage({
    wasm,
    name: 'fdwrite',
    annotations: { 'org.opencontainers.image.source': 'https://example.test/repo' },
  });
  const dir = join(mkdtempSync(join(tmpdir(), 'itg-layout-')), 'layout');
  writeLayout(img, dir, 'v1');
  return { img, dir };
}

describe.runIf(tools)('OCI layout read by skopeo and umoci', () => {
  it('skopeo inspect sees the digest, wasi/wasm and the compat-smart annotation', async () => {
    const { img, dir } = await layout();
    const r = spawnSync('skopeo', ['inspect', `oci:${dir}:v1`], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    const info = JSON.parse(r.stdout);
    expect(info.Digest).toBe(img.manifest.digest);
    expect([info.Os, info.Architecture]).toEqual(['wasi', 'wasm']);
    expect(info.Layers).toEqual([img.layer.digest]);
    const raw = JSON.parse(spawnSync('skopeo', ['inspect', '--raw', `oci:${dir}:v1`], { encoding: 'utf8' }).stdout);
    expect(raw.annotations['module.wasm.image/variant']).toBe('compat-smart');
  });

  it('umoci unpack gives a rootfs holding exactly the module', async () => {
    const { dir } = await layout();
    const rootfs = join(mkdtempSync(join(tmpdir(), 'itg-rootfs-')), 'rootfs');
    // `umoci unpack` also writes a runtime config.json, which umoci 0.4 refuses for os "wasi" ("unsupported OS:
    // wasi"); `umoci raw unpack` validates the manifest and layers and extracts the rootfs alone.
    const r = spawnSync('umoci', ['raw', 'unpack', '--rootless', '--image', `${dir}:v1`, rootfs], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(readdirSync(rootfs)).toEqual(['fdwrite.wasm']);
    expect(sha256(readFileSync(join(rootfs, 'fdwrite.wasm')))).toBe(sha256(wasm));
  });

  it('umoci stat reads the config: Entrypoint /fdwrite.wasm', async () => {
    const { dir } = await layout();
    const r = spawnSync('umoci', ['stat', '--json', '--image', `${dir}:v1`], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).history[0].created_by).toBe('wasm-build: COPY fdwrite.wasm /fdwrite.wasm');
  });
});

/** The layout pushed with skopeo as pushImage does it: by digest, read back, then tagged `v1`. */
function push(l: Awaited<ReturnType<typeof layout>>, ref: ImageRef) {
  const o = { image: l.img, wasm, name: 'fdwrite', layoutDir: l.dir, layoutTag: 'v1', ref, tags: ['v1'] };
  return pushImage({ ...o, backend: 'skopeo', retry: { attempts: 2, minTimeoutMs: 50 } }, memoryLog());
}

describe.runIf(registryTools)('push with skopeo to a real registry and read back', () => {
  const registry = useLocalRegistry();

  it('pushes the layout byte for byte and proves digest, platform, annotation and layer', async () => {
    const l = await layout();
    const { img } = l;
    const ref = parseImageRef(`${registry.current.address}/itg/fdwrite:v1`);
    await push(l, ref);
    const proof = await readBack(ref, {
      digest: img.manifest.digest,
      wasmDigest: img.wasmDigest,
      entrypoint: img.entrypoint,
    });
    expect(proof.digest).toBe(img.manifest.digest);
    expect(proof.platform).toBe('wasi/wasm');
    expect(proof.annotations['module.wasm.image/variant']).toBe('compat-smart');
    expect(sha256(proof.wasm)).toBe(sha256(wasm));
  });

  it('read-back fails naming what differs when the registry holds another image under the tag', async () => {
    const ref = parseImageRef(`${registry.current.address}/itg/other:v1`);
    await push(await layout(), ref);
    await expect(
      readBack(ref, { digest: `sha256:${'0'.repeat(64)}`, wasmDigest: '', entrypoint: '/fdwrite.wasm' }),
    ).rejects.toThrow(
      /Read-back of .*itg\/other:v1: the manifest digest is sha256:[0-9a-f]{64}, expected sha256:0{64}/,
    );
  });

  it('an unreachable registry fails with the address and leaves nothing behind', async () => {
    const address = `127.0.0.1:${await freePort()}`; // free, so nothing listens there
    const ref = parseImageRef(`${address}/itg/nowhere:v1`);
    await expect(push(await layout(), ref)).rejects.toThrow(`Registry ${address} is unreachable (`);
    expect(await new RegistryClient(parseImageRef(`${registry.current.address}/itg/nowhere`)).tags()).toEqual([]);
  });
});
