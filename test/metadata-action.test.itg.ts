// docker/metadata-action's outputs, as its README shows them, given to the image step and pushed to a real
// docker-registry on 127.0.0.1: an image name with uppercase letters (ghcr.io/${{ github.repository }} for the owner
// MyOrg) is pushed lowercased with a notice, the `tags` output's full references become tags of that repository,
// and `manifest:`/`index:` annotations land as plain keys on the manifest.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { memoryLog } from '@wasm-build/kit';
import { parseImageRef, RegistryClient } from '@wasm-build/oci';
import { imageStep, pushOptions, pushStep } from '@wasm-build/pipeline';
import { describe, expect, it } from 'vitest';
import { corpusFile } from './helpers/corpus.ts';
import { useLocalRegistry } from './helpers/registry.ts';
import { HAVE, requireTools } from './helpers/tools.ts';

const ready = requireTools('metadata-action push test', {
  'skopeo (apt skopeo)': HAVE.skopeo,
  'docker-registry (apt docker-registry)': HAVE.registry,
});

// From the README's bake-file example (refs/tags/v1.2.3), with images: <registry>/myorg/app.
const LABELS = [
  'org.opencontainers.image.title=Hello-World',
  'org.opencontainers.image.description=This your first repo!',
  'org.opencontainers.image.url=https://github.com/octocat/Hello-World',
  'org.opencontainers.image.source=https://github.com/octocat/Hello-World',
  'org.opencontainers.image.version=1.2.3',
  'org.opencontainers.image.created=2020-01-10T00:30:00.000Z',
  'org.opencontainers.image.revision=860c1904a1ce19322e91ac35af1ab07466440c37',
  'org.opencontainers.image.licenses=MIT',
];
// The annotations output with DOCKER_METADATA_ANNOTATIONS_LEVELS=manifest,index: each label once per level.
const ANNOTATIONS = [...LABELS.map((l) => `manifest:${l}`), ...LABELS.map((l) => `index:${l}`)];

describe.skipIf(!ready)('metadata-action outputs against a real registry', () => {
  const registry = useLocalRegistry();

  it('ghcr.io/MyOrg/App style names push lowercased, with the tags and annotations metadata-action gave', async () => {
    const addr = registry.current.address;
    const tags = ['1.2.3', '1.2', 'sha-90dd603', 'latest'].map((t) => `${addr}/myorg/app:${t}`);
    const ref = parseImageRef(`${addr}/MyOrg/App`);
    const wasm = corpusFile('binaries/wasi-testsuite_as_fd_write-to-stdout.wasm');
    const layoutDir = join(mkdtempSync(join(tmpdir(), 'itg-meta-')), 'layout');
    const log = memoryLog();
    const shared = {
      annotations: ANNOTATIONS,
      labels: LABELS,
      insecure: undefined,
      backend: 'skopeo' as const,
      tags,
      orasVersion: '1.3.0',
    };
    const { value: image, detail } = await imageStep({
      wasm,
      name: 'app',
      annotations: Object.fromEntries(
        ANNOTATIONS.map((a) => [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)]),
      ),
      labels: Object.fromEntries(LABELS.map((a) => [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)])),
      layoutDir,
      tag: 'latest',
      log,
    });
    expect(detail).toMatch(/left out \(no image index\): index:org\.opencontainers\.image\.title/);
    const { value } = await pushStep(
      pushOptions(shared, { layoutDir, tag: 'latest', ref, image, wasm, name: 'app' }),
      log,
    );
    expect(value.ref).toBe(`${addr}/myorg/app@${image.manifest.digest}`);
    expect(log.lines.join('\n')).toMatch(/Notice: image name ".*\/MyOrg\/App" has uppercase letters.*myorg\/app/);

    const client = new RegistryClient(parseImageRef(`${addr}/myorg/app`));
    expect((await client.tags()).sort()).toEqual(['1.2', '1.2.3', 'latest', 'sha-90dd603']);
    const served = await client.manifest('1.2.3');
    const annotations = JSON.parse(Buffer.from(served.bytes).toString('utf8')).annotations as Record<string, string>;
    expect(Object.keys(annotations).filter((k) => /^(manifest|index)/.test(k))).toEqual([]);
    expect(annotations['org.opencontainers.image.title']).toBe('Hello-World');
    expect(annotations['org.opencontainers.image.revision']).toBe('860c1904a1ce19322e91ac35af1ab07466440c37');
  });
});
