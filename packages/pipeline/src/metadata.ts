import { dirname } from 'node:path';
import { exec } from '@wasm-build/kit';

/**
 * `org.opencontainers.image.source` and `.revision` for the image: from GitHub Actions' environment
 * (GITHUB_SERVER_URL/GITHUB_REPOSITORY, GITHUB_SHA) when present, else from git in the crate's directory; absent
 * when neither knows. Source: OCI image-spec annotations.md.
 */
export async function sourceAnnotations(
  manifestPath: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  if (env.GITHUB_REPOSITORY)
    out['org.opencontainers.image.source'] =
      `${env.GITHUB_SERVER_URL ?? 'https://github.com'}/${env.GITHUB_REPOSITORY}`;
  if (env.GITHUB_SHA) out['org.opencontainers.image.revision'] = env.GITHUB_SHA;
  const cwd = dirname(manifestPath);
  const git = async (args: string[]) => {
    const r = await exec.run({ command: 'git', args, cwd }).catch(() => undefined);
    return r?.exitCode === 0 ? r.stdout.trim() : undefined;
  };
  if (!out['org.opencontainers.image.revision']) {
    const rev = await git(['rev-parse', 'HEAD']);
    if (rev) out['org.opencontainers.image.revision'] = rev;
  }
  if (!out['org.opencontainers.image.source']) {
    const url = await git(['config', '--get', 'remote.origin.url']);
    if (url) out['org.opencontainers.image.source'] = url;
  }
  return out;
}
