// The root action's step order as the runner runs it (node24 main, then post): the toolchain is resolved and
// installed before the cargo cache key is computed, and the key is that toolchain's.
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseOutputFile, ROOT, runAction } from './helpers/run-action.ts';
import { HAVE, requireTools } from './helpers/tools.ts';

const rust = requireTools('root action cache order tests', {
  'cargo +debian (apt rustc cargo libstd-rust-dev-wasm32 lld-14; rustup toolchain link debian /usr)': HAVE.debianRust,
});

/** A copy of examples/hello (no target/), so the runs share nothing with other tests. */
function hello(): string {
  const dir = mkdtempSync(join(tmpdir(), 'root-action-'));
  cpSync(join(ROOT, 'examples/hello'), dir, { recursive: true, filter: (p) => !p.includes('/target') });
  return dir;
}

/**
 * A second toolchain: a directory holding bin/cargo and bin/rustc that run Debian's, but whose `rustc -vV` says it
 * is another build (what a toolchain change looks like to the cache: the same release with another commit hash).
 */
function otherToolchain(): string {
  const dir = mkdtempSync(join(tmpdir(), 'other-toolchain-'));
  mkdirSync(join(dir, 'bin'));
  const rustc = join(dir, 'bin', 'rustc');
  writeFileSync(
    rustc,
    `#!/bin/sh\nif [ "$1" = "-vV" ]; then /usr/bin/rustc -vV | sed 's/^commit-hash: .*/commit-hash: 0123456789abcdef/'; exit 0; fi\nexec /usr/bin/rustc "$@"\n`,
  );
  writeFileSync(join(dir, 'bin', 'cargo'), '#!/bin/sh\nexec /usr/bin/cargo "$@"\n');
  chmodSync(rustc, 0o755);
  chmodSync(join(dir, 'bin', 'cargo'), 0o755);
  return dir;
}

async function run(toolchain: string, extra: Record<string, string> = {}, crate = hello()) {
  const state = join(crate, 'state');
  writeFileSync(state, '');
  const r = await runAction(
    '.',
    {
      'manifest-path': crate,
      toolchain,
      optimize: 'false',
      smoke: 'false',
      'work-dir': join(crate, 'out'),
      ...extra,
    },
    { env: { GITHUB_STATE: state, GITHUB_JOB: 'build' } },
  );
  const lines = r.stdout.split('\n');
  const at = (re: RegExp) => lines.findIndex((l) => re.test(l));
  return { r, crate, lines, at, state: parseOutputFile(readFileSync(state, 'utf8')) };
}

describe.skipIf(!rust)('root action (node24 main + post)', () => {
  it('is a node24 action with a post step, and no composite rust-cache step', () => {
    const y = parse(readFileSync(join(ROOT, 'action.yml'), 'utf8')) as { runs: Record<string, unknown> };
    expect(y.runs).toEqual({
      using: 'node24',
      main: 'actions/wasm-build/dist/index.cjs',
      post: 'actions/wasm-build/dist/post.cjs',
      'post-if': 'success()',
    });
  });

  it('installs the toolchain before it computes the cache key; two toolchains give two keys; cache: false gives none', async () => {
    const a = await run('/usr');
    expect(a.r.code, a.r.stdout + a.r.stderr).toBe(0);
    const setupDone = a.at(/^✔ setup: rustc 1\.63\.0 \(\/usr\)/);
    const key = a.at(/^Cargo cache key: /);
    const build = a.at(/^▶ build$/);
    expect(setupDone).toBeGreaterThanOrEqual(0);
    expect(key).toBeGreaterThan(setupDone);
    expect(build).toBeGreaterThan(key);
    // No cache service here: a notice, and the build goes on.
    expect(a.r.stdout).toMatch(/^::notice::Cargo cache skipped: the Actions cache service is not available here$/m);
    const keyA = a.lines[key].replace('Cargo cache key: ', '');
    expect(keyA).toMatch(/^wasm-build-v2-linux-x64-build-wasm32-wasi-[0-9a-f]{16}-[0-9a-f]{16}$/);
    // The state the post step reads: that key, and cargo's real target_directory among the paths.
    const stateA = JSON.parse(a.state['cargo-cache']);
    expect(stateA.key).toBe(keyA);
    expect(stateA.paths).toContain(join(a.crate, 'target'));

    const b = await run(otherToolchain());
    expect(b.r.code, b.r.stdout + b.r.stderr).toBe(0);
    const keyB = b.lines[b.at(/^Cargo cache key: /)].replace('Cargo cache key: ', '');
    expect(b.at(/^Cargo cache key: /)).toBeGreaterThan(b.at(/^✔ setup: /));
    expect(keyB).not.toBe(keyA);
    // Same crate and Cargo.lock, so only the toolchain part differs.
    expect(keyB.slice(-16)).toBe(keyA.slice(-16));

    // The post step, as the runner runs it (STATE_<name>): no cache service here, so it says so and passes.
    const post = spawnSync(process.execPath, [join(ROOT, 'actions/wasm-build/dist/post.cjs')], {
      env: { ...process.env, 'STATE_cargo-cache': a.state['cargo-cache'], GITHUB_ACTIONS: 'true' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(post.status, post.stdout + post.stderr).toBe(0);
    expect(post.stdout).toMatch(/Cargo cache: not saved, the Actions cache service is not available here/);

    // cache: false (on run a's crate, whose build is fresh): no key, no state, no notice.
    const c = await run('/usr', { cache: 'false' }, a.crate);
    expect(c.r.code, c.r.stdout + c.r.stderr).toBe(0);
    expect(c.at(/^✔ build: /)).toBeGreaterThanOrEqual(0);
    expect(c.at(/^Cargo cache key: /)).toBe(-1);
    expect(c.r.stdout).not.toMatch(/Cargo cache/);
    expect(c.state['cargo-cache']).toBeUndefined();
    for (const x of [a, b]) rmSync(x.crate, { recursive: true, force: true });
  });
});
