import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { UserError } from './errors.ts';
import { exec, lastLines } from './exec.ts';
import { type DownloadOptions, downloadFile } from './http.ts';
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
  /** tar's mode and compression flags: default `xz` (gzip); `xJ` for a `.tar.xz`. */
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

/** The largest text file `downloadText` reads (a checksum list is a few KiB): 1 MiB. */
export const MAX_TEXT_DOWNLOAD_BYTES = 1 << 20;

/**
 * Downloads `url` into RUNNER_TEMP (`downloadFile`: streamed, an idle timeout of 60 s, retries of 5xx, 429,
 * timeouts and failed connections, through the runner's proxy) and returns the file's path. Nothing is left behind
 * on a failure.
 * @throws UserError `Download of WHAT failed: URL (HTTP status)` (or the network error, or the timeout), with `fix`.
 */
export async function download(url: string, what: string, fix?: string, o?: DownloadOptions): Promise<string> {
  return downloadFile(url, what, fix, o);
}

/**
 * Downloads a small text file (a checksum list) through `download`, refusing one over `MAX_TEXT_DOWNLOAD_BYTES`.
 * `what` names it in errors, e.g. "the binaryen 132 checksum file".
 * @throws UserError for a failed download (URL and HTTP status, e.g. a checksum file answering 404 or 500) or a
 *   file too large to be a checksum list.
 */
export async function downloadText(url: string, what = 'a checksum file', fix?: string): Promise<string> {
  const file = await download(
    url,
    what,
    fix ??
      'Check the release publishes its checksum file (a mirror must serve it too), and that the runner can reach the host',
  );
  try {
    const size = statSync(file).size;
    if (size > MAX_TEXT_DOWNLOAD_BYTES) {
      throw new UserError(
        `${what} ${url} is ${size} bytes, more than a checksum list (at most ${MAX_TEXT_DOWNLOAD_BYTES})`,
        {
          fix: 'Check the URL serves the checksum file',
        },
      );
    }
    return readFileSync(file, 'utf8');
  } finally {
    rmSync(file, { force: true });
  }
}

/** The runner's temp dir (RUNNER_TEMP), where the tool cache downloads too; the OS's elsewhere. */
function tempRoot(): string {
  return process.env.RUNNER_TEMP || tmpdir();
}

/**
 * Extracts a release archive with tar (as data, through `exec.run`) into a new directory under RUNNER_TEMP and
 * returns it; on any failure the directory is removed, so no partial extraction is left.
 * @throws UserError naming the archive's URL, tar's exit code and its last stderr lines.
 */
async function extractArchive(archive: string, r: ToolRelease, url: string): Promise<string> {
  let dest: string;
  try {
    dest = mkdtempSync(join(tempRoot(), 'wasm-build-extract-'));
  } catch (e) {
    throw fsError(e, 'make a directory in', tempRoot());
  }
  const cmd = {
    command: 'tar',
    args: [`-${(r.tarFlags ?? 'xz').replace(/^-/, '')}`, '-f', archive, '-C', dest, '--no-same-owner'],
  };
  try {
    const result = await exec.run(cmd);
    if (result.exitCode !== 0) {
      const tail = lastLines(result.stderr || result.stdout, 3);
      throw new UserError(
        `The ${r.tool} ${r.version} archive from ${url} cannot be extracted (tar exit code ${result.exitCode}${tail ? `: ${tail}` : ''})`,
        {
          fix: `The archive is corrupt or not a ${r.tarFlags === 'xJ' ? '.tar.xz' : '.tar.gz'}; nothing was cached. Check the mirror or the release, then retry`,
        },
      );
    }
    return dest;
  } catch (e) {
    rmSync(dest, { recursive: true, force: true });
    throw e;
  }
}

/**
 * An error of the file system under `path` (ENAMETOOLONG, ENOSPC, EACCES, ...) as a UserError naming it. The code is
 * the error's own, or the one @actions/io wraps in its message ("File was unable to be removed Error: ENAMETOOLONG").
 */
function fsError(e: unknown, doing: string, path: string): unknown {
  if (e instanceof UserError) return e;
  const code = (e as NodeJS.ErrnoException).code ?? /\b(E[A-Z]{3,})\b/.exec(String((e as Error)?.message))?.[1];
  if (!code) return e;
  return new UserError(`Cannot ${doing} ${path}: ${code}`, {
    fix:
      code === 'ENAMETOOLONG'
        ? 'Use a shorter RUNNER_TOOL_CACHE or RUNNER_TEMP path'
        : 'Check the runner has space and write access there',
    cause: e,
  });
}

/**
 * Installs a tool from a release archive through `@actions/tool-cache`: a cache hit returns at once; otherwise
 * download, check the sha256, extract, and cache the directory. A checksum mismatch or a failed extraction
 * leaves nothing in the tool cache (the cache entry is only written from a verified, extracted archive) nor in
 * RUNNER_TEMP (the download and the extraction directory are deleted, whatever happens).
 *
 * @throws UserError for a download that fails (with the URL and HTTP status), a checksum file that cannot be had
 *   (from `r.sha256`), a sha256 mismatch (both digests), an archive tar cannot read (URL, tar's exit code and last
 *   lines), or a file-system error while caching (the path and the code, e.g. ENAMETOOLONG).
 * Source: the install pipeline of actions/setup-go and oras-project/setup-oras (find → download → verify →
 * extract → cacheDir).
 */
export async function installTool(r: ToolRelease, log: Log): Promise<InstalledTool> {
  // Imported here, as is undici (http.ts) in `download`: the CLI's --help and verify load this module (options.ts
  // takes the default versions from the installers' modules) but never install anything.
  const tc = await import('@actions/tool-cache');
  const arch = r.arch ?? process.arch;
  const hit = tc.find(r.tool, r.version, arch);
  if (hit) {
    log.info(`${r.tool} ${r.version} found in the tool cache: ${hit}`);
    return { dir: hit, cached: true, downloadedBytes: 0 };
  }
  const url = typeof r.url === 'string' ? r.url : await r.url();
  log.info(`Downloading ${url}`);
  const archive = await download(url, `${r.tool} ${r.version}`);
  try {
    const expected = typeof r.sha256 === 'string' ? r.sha256.toLowerCase() : await r.sha256();
    const actual = await sha256File(archive);
    if (actual !== expected) {
      throw new UserError(`sha256 mismatch for ${url}: expected ${expected}, got ${actual}`, {
        fix: 'The download is corrupt or not the published release; nothing was cached. Retry, or check the mirror',
      });
    }
    const downloadedBytes = statSync(archive).size;
    const extracted = await extractArchive(archive, r, url);
    try {
      const root = typeof r.root === 'function' ? r.root(extracted) : join(extracted, r.root ?? '');
      if (!existsSync(root)) {
        throw new UserError(`The ${r.tool} archive has no ${root.slice(extracted.length + 1)}/ directory: ${url}`, {
          fix: 'The release layout changed; pin a version this action knows',
        });
      }
      const target = join(process.env.RUNNER_TOOL_CACHE || '', r.tool, r.version, arch);
      const dir = await tc.cacheDir(root, r.tool, r.version, arch).catch((e: unknown) => {
        // tc.cacheDir writes its `.complete` marker last: without it the entry is invisible but its files stay.
        try {
          rmSync(target, { recursive: true, force: true });
        } catch {
          // Nothing was made where the path itself is refused (ENAMETOOLONG).
        }
        throw fsError(e, 'write the tool cache at', target);
      });
      log.info(`${r.tool} ${r.version}: sha256 ${actual} verified, cached in ${dir}`);
      return { dir, cached: false, downloadedBytes };
    } finally {
      rmSync(extracted, { recursive: true, force: true });
    }
  } finally {
    rmSync(archive, { force: true });
  }
}
