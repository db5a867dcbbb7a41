// docker/metadata-action's `tags` output (full references, one per line) given to our tags input. The strings follow
// its README: the bake-file example's tags for refs/tags/v1.2.3 (`name/app:1.2.3`, `name/app:1.2`,
// `name/app:sha-90dd603`, `name/app:latest`), with images set to ghcr.io/${{ github.repository }}, which
// metadata-action lowercases.
import { buildImage, parseImageRef } from '@wasm-build/oci';
import { describe, expect, it } from 'vitest';
import { pipelineSchema, pushTags } from '../src/options.ts';
import { pushOptions } from '../src/steps/image.ts';

const metaTags =
  'ghcr.io/myorg/app:1.2.3\nghcr.io/myorg/app:1.2\nghcr.io/myorg/app:sha-90dd603\nghcr.io/myorg/app:latest';

describe('pushTags', () => {
  it('takes the tag of each reference of the same repository (after lowercasing)', () => {
    expect(pushTags(parseImageRef('ghcr.io/MyOrg/App'), metaTags.split('\n'))).toEqual([
      '1.2.3',
      '1.2',
      'sha-90dd603',
      'latest',
    ]);
  });

  it('mixes plain tags and references, each once', () => {
    expect(pushTags(parseImageRef('ghcr.io/myorg/app:v1'), ['v1', 'ghcr.io/myorg/app:v1', 'edge', ''])).toEqual([
      'v1',
      'edge',
    ]);
  });

  it.each([
    [
      'docker.io/myorg/app:1.2.3',
      /Tag "docker.io\/myorg\/app:1.2.3" names another repository than the image ghcr.io\/myorg\/app/,
    ],
    ['ghcr.io/myorg/other:1.2.3', /names another repository/],
    ['ghcr.io/myorg/app', /has no tag/],
  ])('%s is refused', (entry, message) => {
    expect(() => pushTags(parseImageRef('ghcr.io/myorg/app'), [entry])).toThrow(message);
  });

  it('the schema accepts metadata-action lines and refuses what is neither a tag nor a reference', () => {
    const tags = pipelineSchema.shape.tags;
    expect(tags.parse(metaTags.split('\n'))).toEqual(metaTags.split('\n'));
    expect(tags.safeParse(['ghcr.io/myorg/app']).success).toBe(false);
    expect(tags.safeParse(['-bad']).success).toBe(false);
  });
});

describe('pushOptions with metadata-action outputs', () => {
  const wasm = new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]);
  it('an image without a tag gets only the tags metadata-action gave (no implicit latest first)', async () => {
    const image = await buildImage({ wasm, name: 'm' });
    const ref = parseImageRef('ghcr.io/MyOrg/App');
    const o = pushOptions(
      {
        annotations: ['manifest:org.opencontainers.image.title=Hello-World'],
        labels: ['org.opencontainers.image.title=Hello-World'],
        insecure: undefined,
        backend: 'auto',
        tags: ['ghcr.io/myorg/app:1.2.3', 'ghcr.io/myorg/app:1.2'],
        orasVersion: '1.3.0',
      },
      { layoutDir: '/l', tag: 'latest', ref, image, wasm, name: 'm' },
    );
    expect(o.tags).toEqual(['1.2.3', '1.2']);
  });
});
