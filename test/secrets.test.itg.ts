// Secrets never reach anyone: a dependency's build.rs run by cargo sees no INPUT_*, no WASM_BUILD_PASSWORD and no
// runner token (through the build action's bundle and the CLI), and a token in the git remote URL never becomes the
// image's org.opencontainers.image.source (through the image action's bundle). Each run is also searched for the
// secrets: stdout, stderr, GITHUB_OUTPUT, the step summary, and every file left in RUNNER_TEMP.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseImageRef, RegistryClient } from '@wasm-build/oci';
import { describe, expect, it } from 'vitest';
import { useLocalRegistry } from './helpers/registry.ts';
import { ROOT, runAction } from './helpers/run-action.ts';
import { HAVE, requireTools } from './helpers/tools.ts';

const CRATE = join(ROOT, 'test/fixtures/env-dump');
// One target dir for the file: build.rs reruns whenever WASM_BUILD_TEST_ENV_FILE changes (rerun-if-env-changed).
const TARGET = mkdtempSync(join(tmpdir(), 'secrets-target-'));
const USER = { username: 'ci', password: 'registry-S3CRET-pw' };
const SECRETS = {
  INPUT_PASSWORD: 'input-S3CRET-pw',
  WASM_BUILD_PASSWORD: USER.password,
  GITHUB_TOKEN: 'ghs_S3CRETgithubtoken',
  ACTIONS_RUNTIME_TOKEN: 'runtime-S3CRET-token',
  ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'oidc-S3CRET-token',
  ACTIONS_ID_TOKEN_REQUEST_URL: 'https://oidc.example/S3CRET',
};
const SECRET_VALUES = [...Object.values(SECRETS), Buffer.from(`${USER.username}:${USER.password}`).toString('base64')];

const buildReady = requireTools('secrets: build scripts see no secrets', { 'cargo +debian': HAVE.debianRust });
const pushReady = requireTools('secrets: CLI push with a password', {
  'cargo +debian': HAVE.debianRust,
  skopeo: HAVE.skopeo,
  'docker-registry': HAVE.registry,
  'htpasswd (apt apache2-utils)': HAVE.htpasswd,
});
const gitReady = requireTools('secrets: no token in the source annotation', {
  git: spawnSync('git', ['--version']).status === 0,
});

/** Every file under `dir`, with its contents, for a search for secrets. */
function filesUnder(dir: string): [string, string][] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((f) => join(dir, f))
    .filter((f) => statSync(f).isFile())
    .map((f) => [f, readFileSync(f).toString('latin1')]);
}

/** Where each secret value was found among `places` (name → text); empty when none was. */
function leaks(places: Record<string, string>): string[] {
  return Object.entries(places).flatMap(([where, text]) =>
    SECRET_VALUES.filter((s) => text.includes(s)).map((s) => `${where}: ${s}`),
  );
}

/** Reads the environment build.rs wrote, as variable names and values. */
function envFile(path: string): Record<string, string> {
  expect(existsSync(path), `build.rs wrote no ${path}: did cargo run it?`).toBe(true);
  return Object.fromEntries(
    readFileSync(path, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
}

function expectNoSecrets(env: Record<string, string>) {
  // build.rs ran with cargo's own variables: the file is the real environment, not an empty one.
  expect(env.CARGO_PKG_NAME).toBe('env-dump');
  expect(env.PATH).toBeTruthy();
  expect(Object.keys(env).filter((k) => k.startsWith('INPUT_'))).toEqual([]);
  for (const name of Object.keys(SECRETS)) expect(env[name], name).toBeUndefined();
  expect(leaks({ 'build.rs environment': JSON.stringify(env) })).toEqual([]);
}

describe.runIf(buildReady)('build scripts run by cargo get no secrets', () => {
  it('the build action bundle, with INPUT_PASSWORD, WASM_BUILD_PASSWORD and the runner tokens set', async () => {
    const work = mkdtempSync(join(tmpdir(), 'secrets-build-'));
    const file = join(work, 'build-rs.env');
    const r = await runAction(
      'build',
      { 'manifest-path': CRATE, toolchain: 'debian', optimize: 'false', 'work-dir': work },
      { env: { ...SECRETS, WASM_BUILD_TEST_ENV_FILE: file, CARGO_TARGET_DIR: TARGET } },
    );
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.outputs.name).toBe('env-dump');
    const env = envFile(file);
    expectNoSecrets(env);
    expect(env.WASM_BUILD_TEST_ENV_FILE).toBe(file);
    expect(
      leaks({
        stdout: r.stdout,
        stderr: r.stderr,
        GITHUB_OUTPUT: JSON.stringify(r.outputs),
        summary: r.summary,
      }),
    ).toEqual([]);
  });
});

describe.runIf(pushReady)('the CLI with a registry password', () => {
  const htpasswd = pushReady
    ? spawnSync('htpasswd', ['-Bbn', USER.username, USER.password], { encoding: 'utf8' }).stdout
    : '';
  const registry = useLocalRegistry({ htpasswd });

  it('pushes with WASM_BUILD_PASSWORD, yet build.rs sees neither it nor INPUT_*, and no file in RUNNER_TEMP holds it', async () => {
    const work = mkdtempSync(join(tmpdir(), 'secrets-cli-'));
    const runnerTemp = mkdtempSync(join(tmpdir(), 'secrets-runner-temp-'));
    const file = join(work, 'build-rs.env');
    const image = `${registry.current.address}/secrets/cli:v1`;
    const args = [
      join(ROOT, 'bin/wasm-build.js'),
      CRATE,
      ...['--toolchain', 'debian', '--no-optimize', '--no-smoke', '--backend', 'skopeo'],
      ...['--image', image, '--username', USER.username, '--work-dir', work],
    ];
    const child = spawn(process.execPath, args, {
      cwd: ROOT,
      env: {
        ...process.env,
        ...SECRETS,
        WASM_BUILD_TEST_ENV_FILE: file,
        CARGO_TARGET_DIR: TARGET,
        RUNNER_TEMP: runnerTemp,
        TMPDIR: runnerTemp,
      },
      timeout: 170_000,
    });
    let out = '';
    child.stdout.on('data', (b) => {
      out += b;
    });
    child.stderr.on('data', (b) => {
      out += b;
    });
    const code = await new Promise((resolve) => child.on('close', resolve));
    expect(code, out).toBe(0);
    // The password worked: the tag is there, read with the same login.
    const served = await new RegistryClient(parseImageRef(image), { credentials: USER }).manifest('v1');
    expect(out).toContain(`digest: ${served.digest}`);
    expectNoSecrets(envFile(file));
    expect(leaks({ output: out, ...Object.fromEntries(filesUnder(runnerTemp)) })).toEqual([]);
    expect(readdirSync(runnerTemp).filter((f) => f.startsWith('wasm-build-auth-'))).toEqual([]);
  });
});

describe.runIf(gitReady)('the source annotation', () => {
  it('the image action bundle drops the token from the git remote URL, in the layout and the summary', async () => {
    const crate = mkdtempSync(join(tmpdir(), 'secrets-git-'));
    writeFileSync(join(crate, 'Cargo.toml'), '[package]\nname = "app"\nversion = "0.1.0"\n');
    const git = (...a: string[]) => {
      const r = spawnSync('git', a, { cwd: crate, encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
    };
    git('init', '-q');
    git('remote', 'add', 'origin', 'https://ci-bot:ghp_T0KENinTheRemote@github.example.com/org/app.git?x=1#frag');
    const layout = join(mkdtempSync(join(tmpdir(), 'secrets-layout-')), 'oci-layout');
    const r = await runAction(
      'image',
      { wasm: join(ROOT, 'test/fixtures/fit/sign-ext.wasm'), 'manifest-path': crate, 'layout-dir': layout },
      // Not from GitHub's environment: the annotation must come from git, as outside Actions.
      { env: { GITHUB_REPOSITORY: '', GITHUB_SERVER_URL: '', GITHUB_SHA: '' } },
    );
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const index = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8'));
    const digest = (index.manifests[0].digest as string).replace('sha256:', '');
    const manifest = JSON.parse(readFileSync(join(layout, 'blobs/sha256', digest), 'utf8'));
    expect(manifest.annotations['org.opencontainers.image.source']).toBe('https://github.example.com/org/app.git');
    expect(r.summary).toContain('https://github.example.com/org/app.git');
    const places = {
      stdout: r.stdout,
      stderr: r.stderr,
      summary: r.summary,
      ...Object.fromEntries(filesUnder(layout)),
    };
    expect(Object.entries(places).filter(([, text]) => /T0KEN|ci-bot/.test(text))).toEqual([]);
  });
});
