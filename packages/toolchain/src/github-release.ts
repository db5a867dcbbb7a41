import {
  type InstalledTool,
  installTool,
  type Log,
  type RetryPolicy,
  retry,
  TransientError,
  UserError,
} from '@wasm-build/kit';

/** One asset of a GitHub release, to install through the tool cache. */
export interface ReleaseAsset {
  /** Tool-cache name, e.g. `wasmedge`. */
  tool: string;
  /** Version as the tool cache keys it, e.g. `0.17.1`. */
  version: string;
  /** `owner/name`, e.g. `WasmEdge/WasmEdge`. */
  repo: string;
  /** Release tag, e.g. `0.17.1` or `v36.0.0`. */
  tag: string;
  /** Asset file name. */
  asset: string;
  /** A pinned sha256 (hex): then the API is not asked, and the asset comes from the download URL. */
  sha256?: string;
  /** Token for the releases API (the `github-token` input, default the job's token); else GITHUB_TOKEN. */
  token?: string;
  /** Directory of the extracted archive to cache (see `ToolRelease.root`). */
  root?: string | ((extracted: string) => string);
  tarFlags?: string;
  arch?: string;
}

/** How long one releases-API request may take, headers and body, ms. */
export const RELEASES_API_TIMEOUT_MS = 30_000;
/** The largest releases-API document read, bytes (a release with hundreds of assets is well under 1 MiB). */
export const RELEASES_API_MAX_BYTES = 8 << 20;

/**
 * The body of a response, at most `max` bytes, as text.
 * @throws UserError when it is larger, or the transfer fails (cut off, timed out), naming the URL.
 */
async function boundedText(res: Response, url: string, max: number, fix: string): Promise<string> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for await (const chunk of res.body ?? []) {
      size += chunk.byteLength;
      if (size > max) {
        await res.body?.cancel().catch(() => {});
        throw new UserError(`${url} answered more than ${max} bytes`, { fix });
      }
      chunks.push(chunk);
    }
  } catch (e) {
    if (e instanceof UserError) throw e;
    throw new UserError(`The answer of ${url} was cut off: ${transferError(e)}`, { fix, cause: e });
  }
  return Buffer.concat(chunks).toString('utf8');
}

function transferError(e: unknown): string {
  if (e instanceof Error && (e.name === 'TimeoutError' || e.name === 'AbortError'))
    return `no answer within ${RELEASES_API_TIMEOUT_MS / 1000} s`;
  const cause = e instanceof Error && e.cause instanceof Error ? `: ${e.cause.message}` : '';
  return e instanceof Error ? `${e.message}${cause}` : String(e);
}

/**
 * GETs a releases API URL, retrying a rate limit (403 with `x-ratelimit-remaining: 0`, or 429) and 5xx with backoff
 * (4 attempts, 2 s doubling); returns any other answer.
 * @throws UserError naming the rate limit as such (with when it resets and the token fix), or the API's failure.
 * Source: GitHub REST API docs, "Rate limits for the REST API" (x-ratelimit-remaining, x-ratelimit-reset, retry-after).
 */
async function releasesApiGet(
  url: string,
  headers: Record<string, string>,
  fix: string,
  policy: RetryPolicy,
): Promise<Response> {
  let limited: string | undefined;
  const attempt = async () => {
    const res = await fetch(url, { headers, signal: AbortSignal.timeout(RELEASES_API_TIMEOUT_MS) }).catch(
      (e: unknown) => {
        throw new UserError(`GitHub's releases API is unreachable (${url}): ${transferError(e)}`, { fix, cause: e });
      },
    );
    const rateLimited = res.status === 429 || (res.status === 403 && res.headers.get('x-ratelimit-remaining') === '0');
    if (rateLimited || res.status >= 500) {
      await res.body?.cancel().catch(() => {});
      const reset = Number(res.headers.get('x-ratelimit-reset'));
      limited = rateLimited
        ? `HTTP ${res.status}, x-ratelimit-remaining: ${res.headers.get('x-ratelimit-remaining') ?? '?'}${reset ? `, resets at ${new Date(reset * 1000).toISOString()}` : ''}`
        : undefined;
      throw new TransientError(`HTTP ${res.status}`);
    }
    return res;
  };
  try {
    return (await retry(attempt, { attempts: 4, minTimeoutMs: 2000, ...policy })).value;
  } catch (e) {
    if (!(e instanceof TransientError)) throw e;
    if (limited) {
      throw new UserError(`GitHub's releases API rate limit was hit for ${url} (${limited})`, {
        fix: `Pass a token (the github-token input; its default is the job's github.token), wait for the reset, or ${fix[0].toLowerCase()}${fix.slice(1)}`,
      });
    }
    throw new UserError(`GitHub's releases API kept failing for ${url} (${e.message}, 4 attempts)`, {
      fix: `Retry later, or ${fix[0].toLowerCase()}${fix.slice(1)}`,
    });
  }
}

/** Where GitHub is: the runner's GITHUB_API_URL and GITHUB_SERVER_URL (set on GHES too), else github.com. */
export function githubUrls(env: NodeJS.ProcessEnv = process.env): { api: string; server: string } {
  return {
    api: (env.GITHUB_API_URL || 'https://api.github.com').replace(/\/$/, ''),
    server: (env.GITHUB_SERVER_URL || 'https://github.com').replace(/\/$/, ''),
  };
}

/**
 * The download URL and sha256 of a release asset: from the releases API (`GET /repos/{repo}/releases/tags/{tag}`,
 * each asset's `browser_download_url` and `digest`), or, with a pinned sha256, the release download URL without
 * asking the API.
 * Each request has a timeout (`RELEASES_API_TIMEOUT_MS`) and a size bound (`RELEASES_API_MAX_BYTES`).
 * @throws UserError when the API cannot be reached or answers late, cut off, too large or not JSON; when the release
 *   or the asset does not exist; or when the release gives the asset no digest.
 * Source: GitHub REST API docs, "Get a release by tag name" (assets[].digest, "sha256:…").
 */
export async function resolveReleaseAsset(
  a: ReleaseAsset,
  env: NodeJS.ProcessEnv = process.env,
  retryPolicy: RetryPolicy = {},
): Promise<{ url: string; sha256: string }> {
  const { api, server } = githubUrls(env);
  if (a.sha256)
    return { url: `${server}/${a.repo}/releases/download/${a.tag}/${a.asset}`, sha256: a.sha256.toLowerCase() };
  const url = `${api}/repos/${a.repo}/releases/tags/${a.tag}`;
  const headers: Record<string, string> = {
    Accept: 'application/vnd.github+json',
    'X-GitHub-Api-Version': '2022-11-28',
  };
  const token = a.token || env.GITHUB_TOKEN;
  if (token) headers.Authorization = `Bearer ${token}`;
  const fix = `Pin the ${a.tool} sha256 so no API call is needed, or check the runner's network`;
  const res = await releasesApiGet(url, headers, fix, retryPolicy);
  if (!res.ok) {
    await res.body?.cancel().catch(() => {});
    throw new UserError(`No ${a.repo} release ${a.tag}: ${url} answered HTTP ${res.status}`, {
      fix:
        res.status >= 500 || res.status === 403 || res.status === 429
          ? `Retry later (GitHub's API failed or limited the rate), or ${fix[0].toLowerCase()}${fix.slice(1)}`
          : `Check that ${a.tool} ${a.version} exists at ${server}/${a.repo}/releases`,
    });
  }
  const text = await boundedText(res, url, RELEASES_API_MAX_BYTES, fix);
  let body: { assets?: unknown };
  try {
    body = JSON.parse(text) as { assets?: unknown };
  } catch (e) {
    throw new UserError(`${url} did not answer a release as JSON (${(e as Error).message})`, { fix, cause: e });
  }
  type Asset = { name: string; browser_download_url: string; digest?: string | null };
  const isAsset = (x: unknown): x is Asset =>
    typeof x === 'object' &&
    x !== null &&
    typeof (x as Asset).name === 'string' &&
    typeof (x as Asset).browser_download_url === 'string';
  const assets: Asset[] = Array.isArray(body?.assets) ? body.assets.filter(isAsset) : [];
  const hit = assets.find((x) => x.name === a.asset);
  if (!hit) {
    const names = assets.map((x) => x.name).join(', ');
    throw new UserError(`${a.repo} release ${a.tag} has no asset ${a.asset} (it has: ${names || 'none'})`, {
      fix: `Pick a ${a.tool} version that publishes ${a.asset}`,
    });
  }
  const m = /^sha256:([0-9a-f]{64})$/i.exec(hit.digest ?? '');
  if (!m) {
    throw new UserError(`${a.repo} release ${a.tag} gives ${a.asset} no sha256 digest`, {
      fix: `Pin its sha256 (the ${a.tool}-sha256 input) so the download can be checked`,
    });
  }
  return { url: hit.browser_download_url, sha256: m[1].toLowerCase() };
}

/**
 * Installs a release asset through the tool cache: a cache hit asks nothing of the network; otherwise the asset's
 * URL and digest come from `resolveReleaseAsset`, and `installTool` downloads, checks, extracts and caches.
 * @throws UserError from resolveReleaseAsset and installTool (download failure, sha256 mismatch with both digests).
 */
export async function installReleaseAsset(a: ReleaseAsset, log: Log): Promise<InstalledTool> {
  let resolved: Promise<{ url: string; sha256: string }> | undefined;
  const resolve = () => {
    resolved ??= resolveReleaseAsset(a);
    return resolved;
  };
  return installTool(
    {
      tool: a.tool,
      version: a.version,
      url: async () => (await resolve()).url,
      sha256: async () => (await resolve()).sha256,
      root: a.root,
      tarFlags: a.tarFlags,
      arch: a.arch,
    },
    log,
  );
}
