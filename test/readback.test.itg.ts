// What a push's read-back costs, counted by a proxy in front of a real docker-registry on 127.0.0.1: the pipeline
// (the path the CLI runs) pushes examples/hello with skopeo twice; the re-push downloads under 4 KB in all, the
// read-back HEADs the layer and never GETs it, and with the smoke test on the layer is downloaded exactly once.
// An explicit backend runs no probe.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { memoryLog } from '@wasm-build/kit';
import { type BackendProbe, buildImage, parseImageRef, RegistryClient, writeLayout } from '@wasm-build/oci';
import { pipelineOptionsSchema, pushStep, runPipeline } from '@wasm-build/pipeline';
import { afterEach, describe, expect, it } from 'vitest';
import { corpusFile } from './helpers/corpus.ts';
import { bytesSent, type FaultProxy, startFaultProxy } from './helpers/fault-proxy.ts';
import { useLocalRegistry } from './helpers/registry.ts';
import { ROOT } from './helpers/run-action.ts';
import { HAVE, requireTools } from './helpers/tools.ts';

const registryReady = requireTools('read-back byte counts', {
  'skopeo (apt skopeo)': HAVE.skopeo,
  'docker-registry (apt docker-registry)': HAVE.registry,
});
const pipelineReady =
  registryReady &&
  requireTools('read-back byte counts of the pipeline', {
    'cargo +debian': HAVE.debianRust,
    'wasm-opt': HAVE.wasmOpt,
  });

/** A probe that fails the test if anything asks it. */
const noProbe: BackendProbe = {
  buildxVersion: () => {
    throw new Error('probed buildx with an explicit backend');
  },
  onPath: (tool) => {
    throw new Error(`probed ${tool} with an explicit backend`);
  },
};

describe.runIf(registryReady)('read-back through a byte-counting proxy', () => {
  const registry = useLocalRegistry();
  let proxy: FaultProxy | undefined;
  afterEach(async () => {
    await proxy?.close();
    proxy = undefined;
  });

  /** The pipeline as `wasm-build examples/hello --toolchain debian --backend skopeo --image IMAGE` runs it. */
  const hello = (image: string, smoke: boolean) =>
    runPipeline(
      pipelineOptionsSchema.parse({
        manifestPath: join(ROOT, 'examples/hello'),
        toolchain: 'debian',
        backend: 'skopeo',
        image,
        smoke,
        runtimes: ['node'],
        expectStdout: 'Hello from wasm-build!',
        provenance: false,
        sbom: false,
        workDir: mkdtempSync(join(tmpdir(), 'itg-readback-')),
      }),
      memoryLog(),
    );

  const blobPath = (repo: string, digest: string) => `/v2/${repo}/blobs/${digest}`;

  it.runIf(pipelineReady)(
    're-pushing an image the registry holds downloads under 4 KB, HEADs the layer and never GETs it',
    async () => {
      proxy = await startFaultProxy(registry.current.address, () => undefined);
      const image = `${proxy.address}/itg/readback:v1`;
      const first = await hello(image, false);
      expect(first.ok, first.error).toBe(true);
      const seen = proxy.log.length;
      const again = await hello(image, false);
      expect(again.ok, again.error).toBe(true);
      expect(again.pushed?.digest).toBe(first.pushed?.digest);
      expect(again.rows.map((r) => `${r.stage}:${r.status}`).slice(-4)).toEqual([
        'push:ok',
        'smoke-test:skipped',
        'attach:skipped',
        'tag:ok',
      ]);
      const repush = proxy.log.slice(seen);
      const layer = again.image!.layer;
      const total = bytesSent(repush);
      console.log(
        `re-push of examples/hello (layer ${layer.size} bytes): ${total} response body bytes in ${repush.length} requests\n` +
          repush.map((l) => `  ${l.status} ${l.bytes} ${l.line}`).join('\n'),
      );
      expect(total).toBeLessThan(4096);
      const layerRequests = repush.filter((l) => l.path === blobPath('itg/readback', layer.digest));
      // Two before skopeo copies (blobExists, skopeo's own), the push's read-back and the tag step's: HEADs all.
      expect(layerRequests.filter((l) => l.method === 'HEAD').length).toBeGreaterThanOrEqual(2);
      expect(layerRequests.filter((l) => l.method === 'GET')).toEqual([]);
      expect(again.pushed?.layerProof).toBe('head');
      const client = new RegistryClient(parseImageRef(`${registry.current.address}/itg/readback`));
      expect((await client.manifest('v1')).digest).toBe(first.pushed?.digest);
    },
    240_000,
  );

  it.runIf(pipelineReady)(
    'with the smoke test on, the layer is downloaded exactly once, and the tag step HEADs it',
    async () => {
      proxy = await startFaultProxy(registry.current.address, () => undefined);
      const r = await hello(`${proxy.address}/itg/readback-smoke:v1`, true);
      expect(r.ok, r.error).toBe(true);
      expect(r.rows.map((x) => `${x.stage}:${x.status}`).slice(-4)).toEqual([
        'push:ok',
        'smoke-test:ok',
        'attach:skipped',
        'tag:ok',
      ]);
      expect(r.smoke.map((s) => s.status)).toEqual(['pass']);
      const layer = r.image!.layer;
      const requests = proxy.log.filter((l) => l.path === blobPath('itg/readback-smoke', layer.digest));
      const gets = requests.filter((l) => l.method === 'GET');
      expect(gets).toHaveLength(1);
      expect(gets[0]).toMatchObject({ status: 200, bytes: layer.size });
      // The GET is the smoke test's: the read-backs before and after it HEAD the layer.
      const at = proxy.log.indexOf(gets[0]);
      expect(proxy.log.slice(at + 1).some((l) => l.method === 'HEAD' && l.path === gets[0].path)).toBe(true);
    },
    240_000,
  );

  it('an explicit backend asks the probe nothing, and the push still proves the image', async () => {
    const wasm = corpusFile('binaries/wasi-testsuite_as_fd_write-to-stdout.wasm');
    const img = await buildImage({ wasm, name: 'fdwrite' });
    const layoutDir = join(mkdtempSync(join(tmpdir(), 'itg-readback-')), 'layout');
    writeLayout(img, layoutDir, 'v1');
    const ref = parseImageRef(`${registry.current.address}/itg/explicit:v1`);
    const { value } = await pushStep(
      {
        layoutDir,
        tag: 'v1',
        ref,
        image: img,
        wasm,
        name: 'fdwrite',
        annotations: {},
        labels: {},
        backend: 'skopeo',
        tags: ['v1'],
        orasVersion: '1.3.0',
        probe: noProbe,
      },
      memoryLog(),
    );
    expect(value).toMatchObject({ backend: 'skopeo', reason: 'backend: skopeo was asked for', layerProof: 'head' });
    expect((await value.runnable()).layers[0].digest).toBe(img.layer.digest);
  });
});
