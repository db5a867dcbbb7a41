// Issue 16's acceptance, end to end: the main job on examples/hello pushes to the real Debian docker-registry (no
// referrers API, so the `sha256-<hex>` fallback tag is exercised) and attaches SLSA provenance and a CycloneDX SBOM
// as OCI referrers. Afterwards the image digest still serves the same single wasi/wasm manifest, skopeo agrees, the
// fallback tag lists exactly the two referrers with the image as subject, each statement passes its JSON schema, the
// smoke-test action pulls the image and runs it under node, and a second build with the same SOURCE_DATE_EPOCH
// attaches byte-identical statements.
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { memoryLog } from '@wasm-build/kit';
import {
  ARTIFACT_TYPE_CYCLONEDX,
  ARTIFACT_TYPE_IN_TOTO,
  MEDIA_TYPE_INDEX,
  MEDIA_TYPE_MANIFEST,
  parseImageRef,
  RegistryClient,
  referrersTag,
} from '@wasm-build/oci';
import { pipelineOptionsSchema, runPipeline } from '@wasm-build/pipeline';
import { describe, expect, it } from 'vitest';
import { cycloneDxProblems, provenanceProblems, statementProblems } from './fixtures/schemas/validate.ts';
import { startFaultProxy } from './helpers/fault-proxy.ts';
import { useLocalRegistry } from './helpers/registry.ts';
import { ROOT, runAction, runCli } from './helpers/run-action.ts';
import { HAVE, requireTools } from './helpers/tools.ts';

const ready = requireTools('attach tests', {
  'skopeo (apt skopeo)': HAVE.skopeo,
  'docker-registry (apt docker-registry)': HAVE.registry,
  'Debian cargo with the wasm32 std (apt rustc cargo libstd-rust-dev-wasm32)': HAVE.debianRust,
  'wasm-opt (apt binaryen)': HAVE.wasmOpt,
});
const EPOCH = '1700000000';

interface Attached {
  kind: 'provenance' | 'sbom';
  artifactType: string;
  digest: string;
  size: number;
  via: string;
}

function build(image: string) {
  const work = mkdtempSync(join(tmpdir(), 'attach-'));
  const r = runCli(
    [
      'examples/hello',
      '--toolchain',
      '/usr',
      '--image',
      image,
      '--work-dir',
      work,
      '--arg',
      'world',
      '--expect-stdout',
      'Hello from wasm-build!',
      '--json',
    ],
    { SOURCE_DATE_EPOCH: EPOCH, GITHUB_ACTIONS: '' },
  );
  expect(r.code, r.all).toBe(0);
  const doc = JSON.parse(r.stdout) as { ok: boolean; pushed: { digest: string }; attached: Attached[] };
  return doc;
}

describe.skipIf(!ready)('provenance and SBOM as OCI referrers (issue 16)', () => {
  const registry = useLocalRegistry();

  it('leaves the image one wasi/wasm manifest, lists two referrers of it, each valid against its schema', async () => {
    const repo = `${registry.current.address}/itg/attach-hello`;
    const doc = build(`${repo}:v1`);
    const digest = doc.pushed.digest;
    expect(doc.attached.map((a) => [a.kind, a.artifactType, a.via])).toEqual([
      ['provenance', ARTIFACT_TYPE_IN_TOTO, 'fallback-tag'],
      ['sbom', ARTIFACT_TYPE_CYCLONEDX, 'fallback-tag'],
    ]);

    const client = new RegistryClient(parseImageRef(repo));
    // The digest and the tag still serve one image manifest (no index, no unknown/unknown entry).
    const byDigest = await client.manifest(digest);
    const byTag = await client.manifest('v1');
    expect(byDigest.mediaType).toBe(MEDIA_TYPE_MANIFEST);
    expect(Buffer.compare(byDigest.bytes, byTag.bytes)).toBe(0);
    const inspect = spawnSync('skopeo', ['inspect', '--tls-verify=false', `docker://${repo}@${digest}`], {
      encoding: 'utf8',
    });
    expect(inspect.status, inspect.stderr).toBe(0);
    expect(JSON.parse(inspect.stdout)).toMatchObject({ Os: 'wasi', Architecture: 'wasm' });

    // The fallback tag: an index of exactly the two referrers, each naming the image as its subject.
    const raw = spawnSync(
      'skopeo',
      ['inspect', '--raw', '--tls-verify=false', `docker://${repo}:${referrersTag(digest)}`],
      { encoding: 'utf8' },
    );
    expect(raw.status, raw.stderr).toBe(0);
    const index = JSON.parse(raw.stdout) as {
      mediaType: string;
      manifests: { digest: string; artifactType: string }[];
    };
    expect(index.mediaType).toBe(MEDIA_TYPE_INDEX);
    expect(index.manifests.map((m) => [m.digest, m.artifactType])).toEqual(
      doc.attached.map((a) => [a.digest, a.artifactType]),
    );
    const statements: Record<string, unknown> = {};
    for (const m of index.manifests) {
      const referrer = JSON.parse((await client.manifest(m.digest)).bytes.toString('utf8')) as {
        subject: { digest: string; size: number };
        layers: { digest: string; size: number }[];
      };
      expect(referrer.subject).toMatchObject({ digest, size: byDigest.bytes.length });
      statements[m.artifactType] = JSON.parse(
        (await client.blob(referrer.layers[0].digest, referrer.layers[0].size)).toString('utf8'),
      );
    }
    const provenance = statements[ARTIFACT_TYPE_IN_TOTO] as { subject: { digest: { sha256: string } }[] };
    // Nothing names this machine: no absolute path of the checkout (the crate is examples/hello, the toolchain a
    // directory, recorded by rustc's version only).
    expect(JSON.stringify(statements)).not.toContain(ROOT);
    // The source is the checkout's commit, as git tells it.
    const head = spawnSync('git', ['rev-parse', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).stdout.trim();
    expect(JSON.stringify(statements[ARTIFACT_TYPE_IN_TOTO])).toContain(`"gitCommit":"${head}"`);
    expect(provenance).toMatchObject({
      predicate: { buildDefinition: { externalParameters: { manifestPath: 'examples/hello' } } },
    });
    expect(statementProblems(provenance)).toEqual([]);
    expect(provenanceProblems(provenance)).toEqual([]);
    expect(provenance.subject[0].digest.sha256).toBe(digest.slice('sha256:'.length));
    const sbom = statements[ARTIFACT_TYPE_CYCLONEDX] as { metadata: { properties: { name: string; value: string }[] } };
    expect(cycloneDxProblems(sbom)).toEqual([]);
    expect(sbom.metadata.properties).toContainEqual({ name: 'wasm-build:subject:digest', value: digest });

    // Our pull and the smoke test under node still run the image, by digest.
    const smoke = await runAction('smoke-test', {
      image: `${repo}@${digest}`,
      runtimes: 'node',
      args: 'world',
      'expect-stdout': 'arg[1]=world',
    });
    expect(smoke.code, smoke.stdout + smoke.stderr).toBe(0);
    expect(JSON.parse(smoke.outputs.results)).toMatchObject([
      { runtime: expect.stringMatching(/^node/), status: 'pass' },
    ]);

    // Built again with the same SOURCE_DATE_EPOCH and inputs: the same image and byte-identical statements.
    const again = build(`${repo}:v2`);
    expect(again.pushed.digest).toBe(digest);
    expect(again.attached.map((a) => a.digest)).toEqual(doc.attached.map((a) => a.digest));
  }, 240_000);

  it('a failed attach fails the run before the tags: the image keeps no tag', async () => {
    // The registry refuses the referrers tag's index (400, not retried): the statements cannot be listed.
    const proxy = await startFaultProxy(registry.current.address, (method, path) =>
      method === 'PUT' && path.includes('/manifests/sha256-') ? 400 : undefined,
    );
    try {
      const r = await runPipeline(
        pipelineOptionsSchema.parse({
          manifestPath: join(ROOT, 'examples/hello'),
          toolchain: 'debian',
          backend: 'skopeo',
          image: `${proxy.address}/itg/attach-refused:v1`,
          smoke: false,
          workDir: mkdtempSync(join(tmpdir(), 'attach-refused-')),
        }),
        memoryLog(),
      );
      expect(r.ok).toBe(false);
      expect(r.rows.map((x) => `${x.stage}:${x.status}`).slice(-2)).toEqual(['smoke-test:skipped', 'attach:failed']);
      expect(r.error).toMatch(/400/);
      const tags = await new RegistryClient(parseImageRef(`${registry.current.address}/itg/attach-refused`)).tags();
      expect(tags).toEqual([]);
    } finally {
      await proxy.close();
    }
  }, 120_000);
});
