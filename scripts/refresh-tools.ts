// Refreshes packages/toolchain/src/tools-manifest.json: the sha256 of every default release asset, from the GitHub
// releases API's per-asset `digest` (setup-oras keeps releases.json the same way). With --latest it first moves each
// tool to its latest release. An asset the API gives no digest for is written as null: the installer then checks the
// release's own checksum file or API digest, as without a manifest.
//
//   npx tsx scripts/refresh-tools.ts [--latest]        (GITHUB_TOKEN raises the API rate limit; HTTPS_PROXY is honoured)
//
// Source: GitHub REST API "Get a release by tag name" / "Get the latest release" (assets[].name, assets[].digest
// "sha256:<hex>"); oras-project/setup-oras src/lib/data/releases.json.
import { readFileSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { useProxyFromEnv } from '@wasm-build/kit';
import * as z from 'zod';
import {
  loadToolsManifest,
  MANIFEST_TOOLS,
  type ManifestTool,
  type ToolsManifest,
} from '../packages/toolchain/src/tools-manifest.ts';

export const MANIFEST_PATH = new URL('../packages/toolchain/src/tools-manifest.json', import.meta.url);

const release = z.object({
  tag_name: z.string().min(1),
  assets: z.array(z.object({ name: z.string(), digest: z.string().nullable().optional() })),
});
export type ReleaseJson = z.infer<typeof release>;

/** The release's tag for a version of a tool, and the reverse. */
export function tagFor(tool: ManifestTool, version: string): string {
  if (tool === 'binaryen') return `version_${version}`;
  if (tool === 'oras' || tool === 'wasmtime') return `v${version}`;
  return version;
}
export function versionFor(tool: ManifestTool, tag: string): string {
  return tool === 'binaryen' ? tag.replace(/^version_/, '') : tag.replace(/^v/, '');
}

/** The Linux assets our installers download for a tool at a version, x86_64 and aarch64 (crun: its source tarball). */
export function assetNames(tool: ManifestTool, version: string): string[] {
  switch (tool) {
    case 'binaryen':
      return ['x86_64', 'aarch64'].map((a) => `binaryen-version_${version}-${a}-linux.tar.gz`);
    case 'oras':
      return ['amd64', 'arm64'].map((a) => `oras_${version}_linux_${a}.tar.gz`);
    case 'wasmedge':
      return ['x86_64', 'aarch64'].map((a) => `WasmEdge-${version}-manylinux_2_28_${a}.tar.gz`);
    case 'wasmtime':
      return ['x86_64', 'aarch64'].map((a) => `wasmtime-v${version}-${a}-linux.tar.xz`);
    case 'crun':
      return [`crun-${version}.tar.gz`];
  }
}

/**
 * The sha256 (hex) of each of `names` in a release's API JSON; null for an asset without a `sha256:` digest.
 * @throws Error for JSON that is not a release, or a release without one of the assets.
 */
export function releaseDigests(json: unknown, names: string[]): Record<string, string | null> {
  const r = release.parse(json);
  const out: Record<string, string | null> = {};
  for (const name of names) {
    const asset = r.assets.find((a) => a.name === name);
    if (!asset) throw new Error(`Release ${r.tag_name} has no asset ${name}`);
    const m = /^sha256:([a-f0-9]{64})$/.exec(asset.digest?.toLowerCase() ?? '');
    out[name] = m ? m[1] : null;
  }
  return out;
}

/** Fetches a release's API JSON: by tag, or the latest with `tag` undefined. */
export type FetchRelease = (repo: string, tag?: string) => Promise<unknown>;

/** A new manifest with every tool's digests refreshed (and with `latest`, its version moved to the latest release). */
export async function refreshManifest(
  manifest: ToolsManifest,
  fetchRelease: FetchRelease,
  o: { latest?: boolean } = {},
): Promise<ToolsManifest> {
  const next = structuredClone(manifest);
  for (const tool of MANIFEST_TOOLS) {
    const entry = next.tools[tool];
    const json = await fetchRelease(entry.repo, o.latest ? undefined : entry.tag);
    const tag = release.parse(json).tag_name;
    const version = versionFor(tool, tag);
    next.tools[tool] = { ...entry, version, tag, assets: releaseDigests(json, assetNames(tool, version)) };
  }
  return loadToolsManifest(next);
}

/** The GitHub releases API over Node's fetch (proxy from the environment), 30 s per request, token when given. */
export const githubReleases: FetchRelease = async (repo, tag) => {
  const url = `https://api.github.com/repos/${repo}/releases/${tag ? `tags/${encodeURIComponent(tag)}` : 'latest'}`;
  const headers: Record<string, string> = {
    accept: 'application/vnd.github+json',
    'x-github-api-version': '2022-11-28',
  };
  if (process.env.GITHUB_TOKEN) headers.authorization = `Bearer ${process.env.GITHUB_TOKEN}`;
  const res = await fetch(url, { headers, signal: AbortSignal.timeout(30_000) });
  if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status}`);
  return res.json();
};

async function main(): Promise<void> {
  await useProxyFromEnv();
  const current = loadToolsManifest(JSON.parse(readFileSync(MANIFEST_PATH, 'utf8')));
  const next = await refreshManifest(current, githubReleases, { latest: process.argv.includes('--latest') });
  writeFileSync(MANIFEST_PATH, `${JSON.stringify(next, null, 2)}\n`);
  for (const tool of MANIFEST_TOOLS) {
    const e = next.tools[tool];
    const pinned = Object.values(e.assets).filter(Boolean).length;
    console.log(`${tool} ${e.version}: ${pinned}/${Object.keys(e.assets).length} digests`);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
