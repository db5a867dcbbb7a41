import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exec } from '@wasm-build/kit';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { publicSourceUrl, sourceAnnotations } from '../src/metadata.ts';

describe('publicSourceUrl', () => {
  it.each([
    // https with credentials: userinfo, query and fragment go, the rest stays as it is
    ['https://user:ghp_T0KEN@github.com/org/repo.git', 'https://github.com/org/repo.git'],
    ['https://ghp_T0KEN@github.com/org/repo', 'https://github.com/org/repo'],
    ['https://oauth2:glpat-T0KEN@gitlab.example.com:8443/g/sub/p.git', 'https://gitlab.example.com:8443/g/sub/p.git'],
    ['https://x-access-token:T0KEN@github.com/org/repo.git?token=T0KEN#T0KEN', 'https://github.com/org/repo.git'],
    ['http://u:p%40ss@127.0.0.1:3000/o/r', 'http://127.0.0.1:3000/o/r'],
    ['https://github.com/org/repo', 'https://github.com/org/repo'],
    ['git://u:T0KEN@git.example.org/r.git', 'git://git.example.org/r.git'],
    // ssh remotes: the https form of the same host and path, no user
    ['git@github.com:org/repo.git', 'https://github.com/org/repo.git'],
    ['user:T0KEN@github.com:org/repo.git', 'https://github.com/org/repo.git'],
    ['github.com:org/repo', 'https://github.com/org/repo'],
    ['ssh://git@github.com:22/org/repo.git', 'https://github.com/org/repo.git'],
    ['ssh://u:T0KEN@[::1]:2222/o/r', 'https://[::1]/o/r'],
    ['git+ssh://git@example.org/o/r.git', 'https://example.org/o/r.git'],
  ])('%s → %s', (remote, want) => {
    expect(publicSourceUrl(remote)).toBe(want);
    expect(publicSourceUrl(remote)).not.toMatch(/T0KEN|ghp_|glpat|p%40ss|@/);
  });

  it.each([
    '/srv/git/repo.git',
    '../sibling',
    'C:/work/repo',
    'file:///home/me/repo.git',
    'https://',
    'not a url',
    '',
  ])('gives no URL for %j (a local path or nothing)', (remote) => {
    expect(publicSourceUrl(remote)).toBeUndefined();
  });
});

describe('sourceAnnotations', () => {
  afterEach(() => vi.restoreAllMocks());
  // A crate at the top of a git checkout (git itself is faked below).
  const app = mkdtempSync(join(tmpdir(), 'source-checkout-'));
  mkdirSync(join(app, '.git'));
  const CRATE = join(app, 'Cargo.toml');
  const outside = mkdtempSync(join(tmpdir(), 'source-outside-'));
  afterAll(() => {
    for (const d of [app, outside]) rmSync(d, { recursive: true, force: true });
  });

  function fakeGit(remote: string) {
    return vi.spyOn(exec, 'run').mockImplementation(async (cmd) => {
      const line = `${cmd.command} ${cmd.args.join(' ')}`;
      const stdout =
        line === 'git config --get remote.origin.url'
          ? `${remote}\n`
          : line === 'git rev-parse HEAD'
            ? `${'a'.repeat(40)}\n`
            : '';
      return { exitCode: stdout ? 0 : 1, stdout, stderr: '', durationMs: 1 };
    });
  }

  it("drops the token from git's remote URL", async () => {
    fakeGit('https://ci-bot:ghp_S3CRET@github.com/org/app.git');
    const a = await sourceAnnotations(CRATE, {});
    expect(a).toEqual({
      'org.opencontainers.image.source': 'https://github.com/org/app.git',
      'org.opencontainers.image.revision': 'a'.repeat(40),
    });
    expect(JSON.stringify(a)).not.toContain('S3CRET');
  });

  it('leaves the source out for a local-path remote', async () => {
    fakeGit('/home/me/mirror.git');
    const a = await sourceAnnotations(CRATE, {});
    expect(a['org.opencontainers.image.source']).toBeUndefined();
  });

  it("drops credentials from GitHub's server URL too", async () => {
    const run = fakeGit('unused');
    const a = await sourceAnnotations(CRATE, {
      GITHUB_SERVER_URL: 'https://u:S3CRET@ghe.example.com',
      GITHUB_REPOSITORY: 'org/app',
      GITHUB_SHA: 'b'.repeat(40),
    });
    expect(a).toEqual({
      'org.opencontainers.image.source': 'https://ghe.example.com/org/app',
      'org.opencontainers.image.revision': 'b'.repeat(40),
    });
    expect(run).not.toHaveBeenCalled();
  });

  it('asks git nothing for a crate in no checkout', async () => {
    const run = fakeGit('https://github.com/org/app.git');
    expect(await sourceAnnotations(join(outside, 'Cargo.toml'), {})).toEqual({});
    expect(run).not.toHaveBeenCalled();
  });
});
