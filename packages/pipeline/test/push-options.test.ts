import { buildImage, parseImageRef } from '@wasm-build/oci';
import { describe, expect, it } from 'vitest';
import { pushOptions } from '../src/steps/image.ts';

describe('pushOptions', () => {
  it.each([
    ['v1', [], ['v1']],
    ['v1', ['latest', 'v1', 'sha-abc'], ['v1', 'latest', 'sha-abc']],
    ['latest', ['latest'], ['latest']],
  ])('tag %s with %j: the reference tag first, each once', async (tag, tags, want) => {
    const wasm = new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]);
    const image = await buildImage({ wasm, name: 'm' });
    const o = pushOptions(
      { annotations: ['a=1=2'], labels: ['l=x'], insecure: undefined, backend: 'auto', tags, orasVersion: '1.3.0' },
      { layoutDir: '/l', tag, ref: parseImageRef(`r.io/o/m:${tag}`), image, wasm, name: 'm' },
    );
    expect(o.tags).toEqual(want);
    expect([o.annotations, o.labels, o.backend]).toEqual([{ a: '1=2' }, { l: 'x' }, 'auto']);
  });
});
