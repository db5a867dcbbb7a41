import { describe, expect, it } from 'vitest';
import shipped from '../src/tools-manifest.json' with { type: 'json' };
import { loadToolsManifest, manifestSha256, type ToolsManifest } from '../src/tools-manifest.ts';

const A = 'a'.repeat(64);

type Spoilable = { tools: Partial<Record<string, { assets: Record<string, string | null> }>> };

function fixture(): ToolsManifest {
  const m = structuredClone(loadToolsManifest()) as ToolsManifest;
  m.tools.binaryen.assets['binaryen-version_132-x86_64-linux.tar.gz'] = A;
  return m;
}

describe('tools manifest', () => {
  it('the shipped one parses, and pins no digest it could not verify (all null until refresh-tools runs)', () => {
    const m = loadToolsManifest();
    expect(Object.values(m.tools).flatMap((t) => Object.values(t.assets))).toEqual(Array(9).fill(null));
  });

  it('a pinned digest is found only for its version and asset; null means not pinned', () => {
    const m = fixture();
    expect(manifestSha256('binaryen', '132', 'binaryen-version_132-x86_64-linux.tar.gz', m)).toBe(A);
    expect(manifestSha256('binaryen', 'version_132', 'binaryen-version_132-x86_64-linux.tar.gz', m)).toBe(A);
    expect(manifestSha256('binaryen', '131', 'binaryen-version_132-x86_64-linux.tar.gz', m)).toBeUndefined();
    expect(manifestSha256('binaryen', '132', 'binaryen-version_132-aarch64-linux.tar.gz', m)).toBeUndefined();
    expect(manifestSha256('oras', 'v1.3.0', 'oras_1.3.0_linux_amd64.tar.gz', m)).toBeUndefined();
  });

  it.each([
    [
      'a digest that is not 64 hex digits',
      (m: Spoilable) => (m.tools.oras!.assets['oras_1.3.0_linux_amd64.tar.gz'] = 'ABC'),
      /tools\.oras\.assets\.oras_1\.3\.0_linux_amd64\.tar\.gz: expected 64 lowercase hex/,
    ],
    ['a missing tool', (m: Spoilable) => delete m.tools.crun, /tools\.crun/],
  ])('refuses %s', (_what, spoil, message) => {
    const m = structuredClone(shipped) as Spoilable;
    spoil(m);
    expect(() => loadToolsManifest(m)).toThrow(message);
  });
});
