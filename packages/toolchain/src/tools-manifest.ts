import { UserError } from '@wasm-build/kit/errors';
import * as z from 'zod';
import shipped from './tools-manifest.json' with { type: 'json' };

/** The tools the manifest pins. */
export const MANIFEST_TOOLS = ['binaryen', 'oras', 'wasmedge', 'wasmtime', 'crun'] as const;
export type ManifestTool = (typeof MANIFEST_TOOLS)[number];

const SHA256_HEX = /^[a-f0-9]{64}$/;

const toolEntry = z.object({
  /** GitHub `owner/name` the release is published in. */
  repo: z.string().regex(/^[\w.-]+\/[\w.-]+$/),
  /** The version our installers take (binaryen: N of `version_N`; others without a `v`). */
  version: z.string().min(1),
  /** The release tag. */
  tag: z.string().min(1),
  /** Asset file name → sha256 hex, or null when not verified yet. */
  assets: z.record(z.string().min(1), z.string().regex(SHA256_HEX, 'expected 64 lowercase hex digits').nullable()),
});

export const toolsManifestSchema = z.object({
  $comment: z.string().optional(),
  tools: z.object(
    Object.fromEntries(MANIFEST_TOOLS.map((t) => [t, toolEntry])) as Record<ManifestTool, typeof toolEntry>,
  ),
});

/** The checked-in manifest of default tool versions and their archives' sha256 (`tools-manifest.json`). */
export type ToolsManifest = z.infer<typeof toolsManifestSchema>;

/**
 * Parses and checks a tools manifest (the shipped one by default).
 * @throws UserError naming the first field that is wrong (a digest that is not 64 hex digits, a missing tool).
 * Source: oras-project/setup-oras `src/lib/data/releases.json` (version → per-platform url and checksum).
 */
export function loadToolsManifest(data: unknown = shipped): ToolsManifest {
  const r = toolsManifestSchema.safeParse(data);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new UserError(`Invalid tools manifest at ${issue.path.join('.') || '(root)'}: ${issue.message}`, {
      fix: 'Regenerate it with npx tsx scripts/refresh-tools.ts',
    });
  }
  return r.data;
}

let cached: ToolsManifest | undefined;

/** The shipped manifest, parsed once. */
export function shippedToolsManifest(): ToolsManifest {
  if (!cached) cached = loadToolsManifest();
  return cached;
}

/**
 * The sha256 (hex) the manifest pins for `asset` of `tool` at `version`, or undefined when the manifest holds another
 * version, does not list the asset, or has not verified its digest (null): the installer then falls back to the
 * release's checksum file or the releases API digest. `manifest` defaults to the shipped one.
 */
export function manifestSha256(
  tool: ManifestTool,
  version: string,
  asset: string,
  manifest: ToolsManifest = shippedToolsManifest(),
): string | undefined {
  const entry = manifest.tools[tool];
  if (entry.version !== version.replace(/^version_/, '').replace(/^v/, '')) return undefined;
  return entry.assets[asset] ?? undefined;
}
