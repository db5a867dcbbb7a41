// Pushes to a real docker-registry on 127.0.0.1 with htpasswd auth, with our own client (builtin) and with skopeo,
// through a fault-injecting loopback proxy where a test needs one: credentials, 401, retries on 503, no tag after a
// failed push, no blob uploaded (or layer downloaded) twice. buildx and
// oras run the same push where they exist (GitHub's runners, e2e.yml); here each says why it skipped.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { memoryLog } from '@wasm-build/kit';
import {
  buildImage,
  type Credentials,
  type PushBackend,
  parseImageRef,
  pushImage,
  RegistryClient,
  writeLayout,
} from '@wasm-build/oci';
import { afterEach, describe, expect, it } from 'vitest';
import { corpusFile } from './helpers/corpus.ts';
import { bytesSent, type FaultProxy, startFaultProxy } from './helpers/fault-proxy.ts';
import { useLocalRegistry } from './helpers/registry.ts';
import { HAVE, requireTools } from './helpers/tools.ts';

const USER: Credentials = { username: 'ci', password: 's3cret-pass' };
const ready = requireTools('registry push tests', {
  'docker-registry (apt docker-registry)': HAVE.registry,
  'htpasswd (apt apache2-utils)': HAVE.htpasswd,
});
const skopeoReady = requireTools('skopeo push tests', { 'skopeo (apt skopeo)': HAVE.skopeo }) && ready;
const htpasswd = ready
  ? spawnSync('htpasswd', ['-Bbn', USER.username, USER.password], { encoding: 'utf8' }).stdout
  : '';
const FAST = { attempts: 3, minTimeoutMs: 50 };

async function image(name = 'fdwrite', file = 'binaries/wasi-testsuite_as_fd_write-to-stdout.wasm') {
  const wasm = corpusFile(file);
  const img = await buildImage({ wasm, name });
  const dir = join(mkdtempSync(join(tmpdir(), 'itg-push-')), 'layout');
  writeLayout(img, dir, 'v1');
  return { wasm, img, dir, name };
}

function request(
  backend: PushBackend,
  o: Awaited<ReturnType<typeof image>>,
  ref: string,
  extra: Partial<Parameters<typeof pushImage>[0]> = {},
) {
  return {
    backend,
    image: o.img,
    wasm: o.wasm,
    name: o.name,
    layoutDir: o.dir,
    layoutTag: 'v1',
    ref: parseImageRef(ref),
    tags: ['v1', 'latest'],
    credentials: USER,
    retry: FAST,
    ...extra,
  };
}

// The same push with our own registry client (builtin) and with skopeo: what the registry holds afterwards must not
// depend on which pushed it.
for (const [backend, runs] of [
  ['builtin', ready],
  ['skopeo', skopeoReady],
] as const)
  describe.runIf(runs)(`push with ${backend} to a registry with htpasswd auth`, () => {
    const registry = useLocalRegistry({ htpasswd });
    let proxy: FaultProxy | undefined;
    afterEach(async () => {
      await proxy?.close();
      proxy = undefined;
    });
    const client = (repo: string) =>
      new RegistryClient(parseImageRef(`${registry.current.address}/${repo}`), { credentials: USER });

    it('pushes with good credentials, reads back, then tags; the login file is gone afterwards', async () => {
      const o = await image();
      const r = await pushImage(request(backend, o, `${registry.current.address}/itg/auth:v1`), memoryLog());
      expect(r.digest).toBe(o.img.manifest.digest);
      expect(r.proof.platform).toBe('wasi/wasm');
      expect(r.bytesUploaded).toBe(o.img.config.size + o.img.layer.size);
      expect([r.blobsUploaded, r.blobsPresent]).toEqual([2, 0]);
      for (const tag of ['v1', 'latest'])
        expect((await client('itg/auth').manifest(tag)).digest).toBe(o.img.manifest.digest);
      const temp = process.env.RUNNER_TEMP!;
      expect(readdirSync(temp).filter((f) => f.startsWith('wasm-build-auth-'))).toEqual([]);
    });

    it('fails with the 401 and what to check when the credentials are wrong, and leaves no tag', async () => {
      const o = await image();
      await expect(
        pushImage(
          request(backend, o, `${registry.current.address}/itg/bad:v1`, {
            credentials: { username: 'ci', password: 'nope' },
          }),
          memoryLog(),
        ),
      ).rejects.toMatchObject({
        message: `Registry ${registry.current.address} refused the credentials (401) for itg/bad`,
        fix: expect.stringContaining(
          `Check the credentials (username/password inputs or docker login for ${registry.current.address})`,
        ),
      });
      expect(await client('itg/bad').tags()).toEqual([]);
    });

    it('survives a registry that answers 503 twice before it works', async () => {
      let n = 0;
      proxy = await startFaultProxy(registry.current.address, (m, p) =>
        m === 'PUT' && p.includes('/manifests/') && ++n <= 2 ? 503 : undefined,
      );
      const o = await image();
      const log = memoryLog();
      const r = await pushImage(request(backend, o, `${proxy.address}/itg/flaky:v1`), log);
      expect(proxy.log.filter((l) => l.answer === 503)).toHaveLength(2);
      expect(r.digest).toBe(o.img.manifest.digest);
      expect((await client('itg/flaky').manifest('v1')).digest).toBe(o.img.manifest.digest);
    });

    it('leaves no tag, and no manifest, when the registry always fails the manifest PUT', async () => {
      proxy = await startFaultProxy(registry.current.address, (m, p) =>
        m === 'PUT' && p.includes('/manifests/') ? 503 : undefined,
      );
      const o = await image();
      const log = memoryLog();
      const failure =
        backend === 'skopeo'
          ? {
              // skopeo's own run, three times, each a warning.
              message: expect.stringMatching(
                /^Push of 127\.0\.0\.1:\d+\/itg\/down with skopeo failed \(after 3 attempts\): registry 127\.0\.0\.1:\d+ kept failing: .*503 Service Unavailable/,
              ),
              fix: expect.stringContaining('No tag was written'),
            }
          : {
              // The client's request, three times.
              message: expect.stringMatching(
                /^Registry 127\.0\.0\.1:\d+ kept failing for PUT \/manifests\/sha256:[0-9a-f]{64} \(HTTP 503\) \(3 attempts\)$/,
              ),
              fix: 'The registry is overloaded or down; retry later',
            };
      await expect(pushImage(request(backend, o, `${proxy.address}/itg/down:v1`), log)).rejects.toMatchObject(failure);
      if (backend === 'skopeo') expect(log.lines.filter((l) => l.startsWith('warning: push attempt'))).toHaveLength(2);
      else expect(proxy.log.filter((l) => l.method === 'PUT' && l.answer === 503)).toHaveLength(3);
      expect(await client('itg/down').tags()).toEqual([]);
      await expect(client('itg/down').manifest(o.img.manifest.digest)).rejects.toThrow(/not found in the registry/);
    });

    it('uploads no blob the second time the same module is pushed', async () => {
      proxy = await startFaultProxy(registry.current.address, () => undefined);
      const o = await image();
      const first = await pushImage(request(backend, o, `${proxy.address}/itg/twice:v1`), memoryLog());
      const seen = proxy.log.length;
      const again = await image();
      const second = await pushImage(request(backend, again, `${proxy.address}/itg/twice:v1`), memoryLog());
      expect(first.bytesUploaded).toBeGreaterThan(0);
      expect([second.bytesUploaded, second.blobsUploaded, second.blobsPresent]).toEqual([0, 0, 2]);
      expect(proxy.log.slice(seen).filter((l) => /^POST .*\/blobs\/uploads\//.test(l.line))).toEqual([]);
      // The read-back proves the layer by a HEAD: the re-push downloads the manifest and config, not the layer.
      const layer = proxy.log.slice(seen).filter((l) => l.path === `/v2/itg/twice/blobs/${o.img.layer.digest}`);
      expect(layer.filter((l) => l.method === 'GET')).toEqual([]);
      expect(layer.filter((l) => l.method === 'HEAD' && l.status === 200).length).toBeGreaterThanOrEqual(2);
      expect(bytesSent(proxy.log.slice(seen))).toBeLessThan(4096);
      expect(second.proof.layerProof).toBe('head');
    });

    it('reads the docker config for the read-back when no login is given', async () => {
      const o = await image();
      await pushImage(request(backend, o, `${registry.current.address}/itg/cfg:v1`), memoryLog());
      const dir = mkdtempSync(join(tmpdir(), 'docker-config-'));
      const { writeFileSync } = await import('node:fs');
      const auth = Buffer.from(`${USER.username}:${USER.password}`).toString('base64');
      writeFileSync(join(dir, 'config.json'), JSON.stringify({ auths: { [registry.current.address]: { auth } } }));
      const saved = process.env.DOCKER_CONFIG;
      process.env.DOCKER_CONFIG = dir;
      try {
        const m = await new RegistryClient(parseImageRef(`${registry.current.address}/itg/cfg`)).manifest('v1');
        expect(m.digest).toBe(o.img.manifest.digest);
      } finally {
        process.env.DOCKER_CONFIG = saved;
        if (saved === undefined) delete process.env.DOCKER_CONFIG;
      }
      expect(existsSync(join(dir, 'config.json'))).toBe(true);
    });
  });

const orasReady = requireTools('oras push tests (run in e2e.yml on GitHub runners)', {
  'oras (setup-oras, or the oras backend installs it)': HAVE.oras,
  'docker-registry (apt docker-registry)': HAVE.registry,
});
const buildxReady = requireTools('buildx push tests (run in e2e.yml on GitHub runners)', {
  'docker buildx (docker/setup-buildx-action)': HAVE.buildx,
  'docker-registry (apt docker-registry)': HAVE.registry,
});

describe.runIf(orasReady || buildxReady)('oras and buildx push to a real registry', () => {
  const registry = useLocalRegistry();
  it.runIf(orasReady)('oras copies the layout by digest, byte for byte, then tags', async () => {
    const o = await image();
    const r = await pushImage(
      { ...request('oras', o, `${registry.current.address}/itg/oras:v1`), credentials: undefined },
      memoryLog(),
    );
    expect(r.digest).toBe(o.img.manifest.digest);
    expect(r.bytesUploaded).toBe(o.img.config.size + o.img.layer.size);
  });
  it.runIf(buildxReady)('buildx builds wasi/wasm with the annotation, pushes by digest, reads back', async () => {
    const o = await image();
    const r = await pushImage(
      { ...request('buildx', o, `${registry.current.address}/itg/buildx:v1`), credentials: undefined },
      memoryLog(),
    );
    expect(r.proof.platform).toBe('wasi/wasm');
    expect(r.proof.annotations['module.wasm.image/variant']).toBe('compat-smart');
    expect(r.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
  });
});
