import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { exec } from '@wasm-build/kit';

/**
 * A repository URL that is safe to publish in an image: never its credentials. `https://user:token@host/o/r.git`
 * becomes `https://host/o/r.git` (userinfo, query and fragment dropped; http and https keep their scheme and port);
 * ssh remotes, `ssh://git@host:22/o/r.git` and git's scp-like `git@host:o/r.git`, become `https://host/o/r.git`,
 * the form registries link to a repository by (GHCR reads `org.opencontainers.image.source`). Anything else, a
 * local path, `file://` or what does not parse, gives undefined: it is no URL anyone else can get the source from.
 * Source: git-clone(1) "GIT URLS" (the scp-like syntax: no slash before the first colon); WHATWG URL; GitHub docs,
 * "Connecting a repository to a package".
 */
export function publicSourceUrl(remote: string): string | undefined {
  const s = remote.trim();
  if (!s || /\s/.test(s)) return undefined;
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(s)) {
    // scp-like [user@]host:path; a one-letter "host" is a Windows drive (C:/repo), a local path.
    const scp = /^(?:[^@/]*@)?(\[[^\]/]+\]|[^@:/[\]]{2,}):(?!\/\/)(.+)$/.exec(s);
    return scp ? httpsUrl(scp[1], scp[2]) : undefined;
  }
  let url: URL;
  try {
    url = new URL(s);
  } catch {
    return undefined;
  }
  if (!url.hostname) return undefined;
  switch (url.protocol) {
    case 'http:':
    case 'https:':
    case 'git:':
      return `${url.protocol}//${url.host}${url.pathname === '/' ? '' : url.pathname}`;
    case 'ssh:':
    case 'git+ssh:':
    case 'ssh+git:':
      return httpsUrl(url.hostname, url.pathname);
    default:
      return undefined;
  }
}

function httpsUrl(host: string, path: string): string | undefined {
  try {
    const url = new URL(`https://${host}/${path.replace(/^\/+/, '')}`);
    return url.username || url.password || url.search || url.hash ? undefined : url.href.replace(/\/$/, '');
  } catch {
    return undefined;
  }
}

/**
 * True when git could find a repository for `dir`: `GIT_DIR` is set, or `dir` or one of its parents holds a `.git`
 * (a directory, or the file a worktree or submodule has). Looked up on the file system only, so a crate outside
 * any checkout starts no git process (each process start holds the run for milliseconds). Bare repositories, which
 * have no `.git`, are not looked for: a crate is a work tree.
 * Source: git(1) "GIT_DIR" and repository discovery; gitrepository-layout(5) (".git" as a file: "gitdir: <path>").
 */
export function inGitCheckout(dir: string, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.GIT_DIR) return true;
  for (let d = resolve(dir); ; d = dirname(d)) {
    if (existsSync(join(d, '.git'))) return true;
    if (dirname(d) === d) return false;
  }
}

/**
 * `org.opencontainers.image.source` and `.revision` for the image: from GitHub Actions' environment
 * (GITHUB_SERVER_URL/GITHUB_REPOSITORY, GITHUB_SHA) when present, else from git in the crate's directory (when it is
 * in a checkout: `inGitCheckout`); absent when neither knows. The source goes through `publicSourceUrl`, so a token in a remote URL never reaches the image.
 * Source: OCI image-spec annotations.md.
 */
export async function sourceAnnotations(
  manifestPath: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  if (env.GITHUB_REPOSITORY) {
    const source = publicSourceUrl(`${env.GITHUB_SERVER_URL || 'https://github.com'}/${env.GITHUB_REPOSITORY}`);
    if (source) out['org.opencontainers.image.source'] = source;
  }
  if (env.GITHUB_SHA) out['org.opencontainers.image.revision'] = env.GITHUB_SHA;
  const cwd = dirname(manifestPath);
  if (!inGitCheckout(cwd, env)) return out;
  const git = async (args: string[]) => {
    const r = await exec.run({ command: 'git', args, cwd }).catch(() => undefined);
    return r?.exitCode === 0 ? r.stdout.trim() : undefined;
  };
  // The two questions git answers, asked at the same time.
  const [rev, url] = await Promise.all([
    out['org.opencontainers.image.revision'] ? undefined : git(['rev-parse', 'HEAD']),
    out['org.opencontainers.image.source'] ? undefined : git(['config', '--get', 'remote.origin.url']),
  ]);
  if (rev) out['org.opencontainers.image.revision'] = rev;
  const source = url ? publicSourceUrl(url) : undefined;
  if (source) out['org.opencontainers.image.source'] = source;
  return out;
}
