import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import * as tc from '@actions/tool-cache';
import { UserError } from './errors.ts';
import type { Log } from './log.ts';

/** Where a tool's release archive is and how to check it. */
export interface ToolRelease {
  /** Tool-cache name, e.g. `binaryen`. */
  tool: string;
  /** Version as the tool cache keys it (semver, e.g. `132.0.0`). */
  version: string;
  /** URL of the archive, or how to get it (asked only on a cache miss). */
  url: string | (() => Promise<string>);
  /** Expected sha256 of the archive (hex), or how to get it (e.g. from the release's checksum file). */
  sha256: string | (() => Promise<string>);
  /** Directory inside the extracted archive to cache, e.g. `binaryen-version_132`; the archive root when absent. */
  root?: string | ((extracted: string) => string);
  /** Tool-cache architecture; default `process.arch`. */
  arch?: string;
  /** tar flags for `tc.extractTar`: default `xz` (gzip); `xJ` for a `.tar.xz`. */
  tarFlags?: string;
}

export interface InstalledTool {
  /** The tool's directory in the tool cache. */
  dir: string;
  /** True when the tool cache already had it and nothing was downloaded. */
  cached: boolean;
  /** Size of the archive downloaded, bytes (0 on a cache hit). */
  downloadedBytes: number;
}

/** sha256 of a file, hex, streamed. */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  return hash.digest('hex');
}

/**
 * Reads a checksum file (`sha256sum` format: `<hex>  <name>` per line, or a lone hex digest) and returns the digest
 * for `fileName`. Follows what binaryen's `.sha256` and oras's `oras_V_checksums.txt` hold.
 * @throws UserError when the file has no entry for `fileName`.
 */
export function parseChecksums(text: string, fileName: string, source: string): string {
  const lines = text.split('\n').map((l) => l.trim().split(/\s+/));
  const lone = lines.filter((l) => l[0]).length === 1 && lines[0].length === 1 ? lines[0][0] : undefined;
  const hit = lone ?? lines.find((l) => l[1]?.replace(/^\*/, '') === fileName)?.[0];
  if (!hit || !/^[0-9a-f]{64}$/i.test(hit)) {
    throw new UserError(`No sha256 for ${fileName} in ${source}`, {
      fix: 'Check the version exists and the release has its checksum file',
    });
  }
  return hit.toLowerCase();
}

/** Downloads a small text file (a checksum list) through the tool cache's downloader, which retries 5xx. */
export async function downloadText(url: string): Promise<string> {
  const file = await tc.downloadTool(url);
  try {
    return readFileSync(file, 'utf8');
  } finally {
    rmSync(file, { force: true });
  }
}

/**
 * Installs a tool from a release archive through `@actions/tool-cache`: a cache hit returns at once; otherwise
 * download, check the sha256, extract, and cache the directory. A checksum mismatch or a failed extraction
 * leaves nothing in the tool cache (the cache entry is only written from a verified, extracted archive) and the
 * download is deleted.
 *
 * @throws UserError for a download that fails (with the URL and HTTP status) or a sha256 mismatch (both digests).
 * Source: the install pipeline of actions/setup-go and oras-project/setup-oras (find → download → verify →
 * extract → cacheDir).
 */
export async function installTool(r: ToolRelease, log: Log): Promise<InstalledTool> {
  const arch = r.arch ?? process.arch;
  const hit = tc.find(r.tool, r.version, arch);
  if (hit) {
    log.info(`${r.tool} ${r.version} found in the tool cache: ${hit}`);
    return { dir: hit, cached: true, downloadedBytes: 0 };
  }
  const url = typeof r.url === 'string' ? r.url : await r.url();
  log.info(`Downloading ${url}`);
  const archive = await tc.downloadTool(url).catch((e: Error & { httpStatusCode?: number }) => {
    throw new UserError(
      `Download of ${r.tool} ${r.version} failed: ${url}${e.httpStatusCode ? ` (HTTP ${e.httpStatusCode})` : ''}`,
      { fix: 'Check the version exists for this platform, and that the runner can reach the host', cause: e },
    );
  });
  try {
    const expected = typeof r.sha256 === 'string' ? r.sha256.toLowerCase() : await r.sha256();
    const actual = await sha256File(archive);
    if (actual !== expected) {
      throw new UserError(`sha256 mismatch for ${url}: expected ${expected}, got ${actual}`, {
        fix: 'The download is corrupt or not the published release; nothing was cached. Retry, or check the mirror',
      });
    }
    const downloadedBytes = statSync(archive).size;
    const extracted = await tc.extractTar(archive, undefined, r.tarFlags);
    try {
      const root = typeof r.root === 'function' ? r.root(extracted) : join(extracted, r.root ?? '');
      if (!existsSync(root)) {
        throw new UserError(`The ${r.tool} archive has no ${root.slice(extracted.length + 1)}/ directory: ${url}`, {
          fix: 'The release layout changed; pin a version this action knows',
        });
      }
      const dir = await tc.cacheDir(root, r.tool, r.version, arch);
      log.info(`${r.tool} ${r.version}: sha256 ${actual} verified, cached in ${dir}`);
      return { dir, cached: false, downloadedBytes };
    } finally {
      rmSync(extracted, { recursive: true, force: true });
    }
  } finally {
    rmSync(archive, { force: true });
  }
}
