// scripts/refresh-tools.ts on fixture answers of the releases API (no network).
import { describe, expect, it } from 'vitest';
import {
  assetNames,
  type FetchRelease,
  refreshManifest,
  releaseDigests,
  tagFor,
  versionFor,
} from '../../../scripts/refresh-tools.ts';
import { loadToolsManifest, MANIFEST_TOOLS } from '../src/tools-manifest.ts';
import fixtures from './fixtures/releases-api.json' with { type: 'json' };

const releases = fixtures.releases as Record<string, { tag_name: string }>;
const hex = (d: string) => d.repeat(64);

describe('refresh-tools', () => {
  it('names the assets each installer downloads, as the shipped manifest lists them', () => {
    const m = loadToolsManifest();
    for (const tool of MANIFEST_TOOLS) {
      expect(assetNames(tool, m.tools[tool].version)).toEqual(Object.keys(m.tools[tool].assets));
      expect(tagFor(tool, m.tools[tool].version)).toBe(m.tools[tool].tag);
      expect(versionFor(tool, m.tools[tool].tag)).toBe(m.tools[tool].version);
    }
  });

  it('reads sha256:<hex> digests; an asset without one is null; a missing asset is an error', () => {
    expect(releaseDigests(releases['oras-project/oras@v1.3.1'], assetNames('oras', '1.3.1'))).toEqual({
      'oras_1.3.1_linux_amd64.tar.gz': hex('1'),
      'oras_1.3.1_linux_arm64.tar.gz': hex('2'),
    });
    expect(releaseDigests(releases['containers/crun@1.27.2'], ['crun-1.27.2.tar.gz'])).toEqual({
      'crun-1.27.2.tar.gz': null,
    });
    expect(() => releaseDigests(releases['containers/crun@1.27.2'], ['crun-9.tar.gz'])).toThrow(
      'Release 1.27.2 has no asset crun-9.tar.gz',
    );
    expect(() => releaseDigests({ assets: [] }, [])).toThrow();
  });

  it('--latest moves every tool to its latest release and pins what the API gives', async () => {
    const asked: string[] = [];
    const latest: FetchRelease = async (repo, tag) => {
      asked.push(`${repo}@${tag ?? 'latest'}`);
      const key = Object.keys(releases).find((k) => k.startsWith(`${repo}@`))!;
      return releases[key];
    };
    const next = await refreshManifest(loadToolsManifest(), latest, { latest: true });
    expect(asked).toEqual(MANIFEST_TOOLS.map((t) => `${loadToolsManifest().tools[t].repo}@latest`));
    expect(next.tools.binaryen).toMatchObject({
      version: '133',
      tag: 'version_133',
      assets: {
        'binaryen-version_133-x86_64-linux.tar.gz': hex('1'),
        'binaryen-version_133-aarch64-linux.tar.gz': hex('2'),
      },
    });
    expect(next.tools.wasmtime.version).toBe('37.0.0');
    expect(next.tools.crun).toMatchObject({ version: '1.27.2', assets: { 'crun-1.27.2.tar.gz': null } });
  });

  it('without --latest asks for each tool at the tag it has', async () => {
    const asked: (string | undefined)[] = [];
    const m = loadToolsManifest();
    await expect(
      refreshManifest(m, async (_repo, tag) => {
        asked.push(tag);
        throw new Error('offline');
      }),
    ).rejects.toThrow('offline');
    expect(asked).toEqual([m.tools.binaryen.tag]);
  });
});
