// docker/metadata-action's outputs given to our annotations, labels and image inputs. The strings are the ones its
// README shows (bake-file example: labels of octocat/Hello-World at refs/tags/v1.2.3; "Annotations": the default
// level `manifest`, and `manifest,index` with DOCKER_METADATA_ANNOTATIONS_LEVELS).
import { describe, expect, it } from 'vitest';
import { buildImage, routeAnnotations } from '../src/layout.ts';
import { buildxBuildArgs } from '../src/push-buildx.ts';
import { parseImageRef } from '../src/reference.ts';

const labels = {
  'org.opencontainers.image.title': 'Hello-World',
  'org.opencontainers.image.description': 'This your first repo!',
  'org.opencontainers.image.url': 'https://github.com/octocat/Hello-World',
  'org.opencontainers.image.source': 'https://github.com/octocat/Hello-World',
  'org.opencontainers.image.version': '1.2.3',
  'org.opencontainers.image.created': '2020-01-10T00:30:00.000Z',
  'org.opencontainers.image.revision': '860c1904a1ce19322e91ac35af1ab07466440c37',
  'org.opencontainers.image.licenses': 'MIT',
};
const prefixed = (level: string) => Object.fromEntries(Object.entries(labels).map(([k, v]) => [`${level}:${k}`, v]));

describe('routeAnnotations', () => {
  it('strips manifest: (metadata-action default level), keeps bare keys', () => {
    expect(routeAnnotations({ ...prefixed('manifest'), 'com.example.x': 'y' })).toEqual({
      manifest: { ...labels, 'com.example.x': 'y' },
      ignored: [],
    });
  });

  it('leaves index-level annotations out, and says why (DOCKER_METADATA_ANNOTATIONS_LEVELS=manifest,index)', () => {
    const r = routeAnnotations({ ...prefixed('manifest'), ...prefixed('index') });
    expect(r.manifest).toEqual(labels);
    expect(r.ignored.map((i) => i.key)).toEqual(Object.keys(prefixed('index')));
    expect(r.ignored[0].why).toMatch(/index annotations need an image index.*single manifest/);
  });

  it.each([
    ['index,manifest:org.opencontainers.image.title', 'manifest'],
    ['manifest-descriptor,manifest:org.opencontainers.image.title', 'manifest'],
    ['manifest[wasi/wasm]:org.opencontainers.image.title', 'manifest'],
    ['manifest[linux/amd64]:org.opencontainers.image.title', 'ignored'],
    ['manifest-descriptor:org.opencontainers.image.title', 'ignored'],
    ['index-descriptor:org.opencontainers.image.title', 'ignored'],
    ['index:org.opencontainers.image.title', 'ignored'],
  ])('%s → %s', (key, where) => {
    const r = routeAnnotations({ [key]: 'App' });
    if (where === 'manifest') expect(r).toEqual({ manifest: { 'org.opencontainers.image.title': 'App' }, ignored: [] });
    else expect([r.manifest, r.ignored.map((i) => i.key)]).toEqual([{}, [key]]);
  });
});

describe('metadata-action annotations reach the image with their real keys', () => {
  const wasm = new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]);

  it('our own image: no key named manifest:…', async () => {
    const img = await buildImage({ wasm, name: 'm', annotations: { ...prefixed('manifest'), ...prefixed('index') } });
    const keys = Object.keys(img.manifestJson.annotations as Record<string, string>);
    expect(keys.filter((k) => k.includes(':'))).toEqual([]);
    expect(img.manifestJson.annotations).toMatchObject(labels);
  });

  it('buildx: each once as manifest:K, never manifest:manifest:K', () => {
    const args = buildxBuildArgs({
      context: '/c',
      dockerfile: '/c/Dockerfile',
      ref: parseImageRef('ghcr.io/myorg/app'),
      annotations: { ...prefixed('manifest'), ...prefixed('index') },
      metadataFile: '/m.json',
    });
    const annotations = args.flatMap((a, i) => (args[i - 1] === '--annotation' ? [a] : []));
    expect(annotations).toContain('manifest:org.opencontainers.image.title=Hello-World');
    expect(annotations.filter((a) => a.startsWith('manifest:manifest:') || a.startsWith('manifest:index:'))).toEqual(
      [],
    );
    expect(annotations).toHaveLength(Object.keys(labels).length + 1); // + compat-smart
  });
});
