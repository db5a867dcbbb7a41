// SIGTERM/SIGINT in the middle of a run, as the runner cancels a step or a user presses Ctrl-C: the CLI
// (bin/wasm-build.js, with --local-registry) and the image action's bundle, each caught mid-push by a proxy that
// holds the blob upload, and the CLI caught mid-build by a build script that sleeps. Afterwards: exit 128+signal, no
// auth file (nor any wasm-build temp dir) in RUNNER_TEMP, no child left (skopeo, docker-registry, cargo, the build
// script), no tag in the registry, and no secret in anything the run printed or left.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { useLocalRegistry } from './helpers/registry.ts';
import { ROOT, startAction } from './helpers/run-action.ts';
import { type StallProxy, startStallProxy } from './helpers/stall-proxy.ts';
import { HAVE, requireTools } from './helpers/tools.ts';

const USER = { username: 'ci', password: 'signal-S3CRET-pw' };
const BASIC = Buffer.from(`${USER.username}:${USER.password}`).toString('base64');
const SECRETS = [USER.password, BASIC];
const ready = requireTools('signal tests', {
  'cargo +debian': HAVE.debianRust,
  skopeo: HAVE.skopeo,
  'docker-registry': HAVE.registry,
  'htpasswd (apt apache2-utils)': HAVE.htpasswd,
  '/proc (Linux)': existsSync('/proc/self/cmdline'),
});
const htpasswd = ready
  ? spawnSync('htpasswd', ['-Bbn', USER.username, USER.password], { encoding: 'utf8' }).stdout
  : '';
// A private copy of the fixture crate and its own target dir: their paths are in the command lines of cargo and the
// build script, so `pids` finds this file's processes and no one else's.
const CRATE = join(mkdtempSync(join(tmpdir(), 'signals-crate-')), 'env-dump');
const TARGET = mkdtempSync(join(tmpdir(), 'signals-target-'));
if (ready)
  cpSync(join(ROOT, 'test/fixtures/env-dump'), CRATE, { recursive: true, filter: (f) => !f.includes('target') });

/**
 * Pids of live processes whose command line (arguments joined by spaces) matches `pattern`, this one excluded: what
 * `pgrep -f` does, read from /proc, since Debian's slim images (CI's debian:bookworm) have no procps.
 */
function pids(pattern: string): number[] {
  const re = new RegExp(pattern);
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d) && Number(d) !== process.pid)
    .filter((d) => {
      try {
        const cmdline = readFileSync(`/proc/${d}/cmdline`, 'utf8').replace(/\0$/, '').split('\0').join(' ');
        return re.test(cmdline) && !isZombie(Number(d));
      } catch {
        return false; // gone while we looked
      }
    })
    .map(Number);
}

function isZombie(pid: number): boolean {
  // A killed orphan stays a zombie where PID 1 does not reap (a container); it runs nothing.
  try {
    return /^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}

/** Files and directories under `dir` (recursive), for what a run left behind. */
function left(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir, { recursive: true, encoding: 'utf8' }) : [];
}

function secretsIn(places: Record<string, string>): string[] {
  return Object.entries(places).flatMap(([where, text]) => SECRETS.filter((s) => text.includes(s)).map(() => where));
}

function filesText(dir: string): Record<string, string> {
  return Object.fromEntries(
    left(dir)
      .map((f) => join(dir, f))
      .filter((f) => statSync(f).isFile())
      .map((f) => [f, readFileSync(f).toString('latin1')]),
  );
}

async function until<T>(what: string, ms: number, probe: () => T | undefined | false): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function exited(child: ChildProcess, ms: number): Promise<{ code: number | null; signal: string | null }> {
  return new Promise((resolve, reject) => {
    if (child.exitCode !== null || child.signalCode !== null)
      return resolve({ code: child.exitCode, signal: child.signalCode });
    const timer = setTimeout(() => reject(new Error(`still running ${ms} ms after the signal`)), ms);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal });
    });
  });
}

/** Waits until the proxy holds an upload; fails at once, with the output, if the run ends first. */
async function midPush(p: StallProxy, child: ChildProcess, output: () => string, ms: number): Promise<void> {
  const ended = exited(child, ms).then(({ code }) => {
    throw new Error(`the run ended (exit ${code}) before its push stalled:\n${output()}`);
  });
  await Promise.race([
    p.stalled(ms).catch((e: Error) => {
      throw new Error(`${e.message}\n${output()}`);
    }),
    ended,
  ]);
  ended.catch(() => {});
}

describe.runIf(ready)('a signal mid-run leaves no auth file, no child, no local registry and no tag', () => {
  const registry = useLocalRegistry({ htpasswd });
  let proxy: StallProxy | undefined;
  // Every process a test started, and the patterns that find their children, to end them if an assertion failed.
  const started: ChildProcess[] = [];
  const patterns: string[] = [];
  afterEach(async () => {
    for (const c of started.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    for (const p of patterns.splice(0)) for (const pid of pids(p)) process.kill(pid, 'SIGKILL');
    await proxy?.close();
    proxy = undefined;
  });

  /** A proxy to the registry that holds the first blob upload: skopeo is then mid-push, with its auth file. */
  async function stallingProxy() {
    proxy = await startStallProxy(
      registry.current.address,
      (method, path) => method === 'POST' && /\/blobs\/uploads\/?(\?|$)/.test(path),
    );
    return proxy;
  }

  /** The tags the registry holds for `repository` (asked directly, not through the proxy); [] when it has none. */
  async function tags(repository: string): Promise<string[]> {
    const res = await fetch(`http://${registry.current.address}/v2/${repository}/tags/list`, {
      headers: { authorization: `Basic ${BASIC}` },
      signal: AbortSignal.timeout(5000),
    });
    if (res.status === 404) return [];
    expect(res.status).toBe(200);
    return ((await res.json()) as { tags?: string[] | null }).tags ?? [];
  }

  function cli(args: string[], env: Record<string, string>) {
    const child = spawn(process.execPath, [join(ROOT, 'bin/wasm-build.js'), ...args], {
      cwd: ROOT,
      env: { ...process.env, CARGO_TARGET_DIR: TARGET, WASM_BUILD_PASSWORD: USER.password, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    started.push(child);
    let out = '';
    child.stdout!.on('data', (b) => {
      out += b;
    });
    child.stderr!.on('data', (b) => {
      out += b;
    });
    return { child, output: () => out };
  }

  it('SIGTERM to the CLI mid-push: exit 143, skopeo and the --local-registry stopped, auth file gone, no tag', async () => {
    const p = await stallingProxy();
    const work = mkdtempSync(join(tmpdir(), 'signals-cli-push-'));
    const runnerTemp = mkdtempSync(join(tmpdir(), 'signals-runner-temp-'));
    patterns.push(`^([^ ]*/)?skopeo .*${work}`, `^([^ ]*/)?docker-registry serve ${runnerTemp}`);
    const run = cli(
      [
        CRATE,
        ...['--toolchain', 'debian', '--no-optimize', '--no-smoke', '--backend', 'skopeo', '--local-registry'],
        ...['--image', `${p.address}/signals/cli:v1`, '--username', USER.username, '--work-dir', work],
      ],
      { RUNNER_TEMP: runnerTemp, TMPDIR: runnerTemp },
    );
    await midPush(p, run.child, run.output, 120_000);
    // Mid-push, for real: skopeo runs, its auth file is there, and so is the CLI's own registry.
    expect(pids(`^([^ ]*/)?skopeo .*${work}`)).toHaveLength(1);
    expect(pids(`^([^ ]*/)?docker-registry serve ${runnerTemp}`)).toHaveLength(1);
    expect(readdirSync(runnerTemp).filter((f) => f.startsWith('wasm-build-auth-'))).toHaveLength(1);

    run.child.kill('SIGTERM');
    const { code } = await exited(run.child, 15_000);
    expect(code, run.output()).toBe(143);
    expect(run.output()).toMatch(
      /wasm-build: SIGTERM received: stopping skopeo, docker-registry|stopping docker-registry, skopeo/,
    );
    expect(pids(`^([^ ]*/)?skopeo .*${work}`)).toEqual([]);
    expect(pids(`^([^ ]*/)?docker-registry serve ${runnerTemp}`)).toEqual([]);
    expect(left(runnerTemp).filter((f) => /wasm-build-(auth|push|registry)-/.test(f))).toEqual([]);
    expect(secretsIn({ output: run.output(), ...filesText(runnerTemp) })).toEqual([]);
    expect(await tags('signals/cli')).toEqual([]);
  });

  it('SIGTERM to the CLI mid-build: cargo and the build script it runs are stopped, and the local registry', async () => {
    const work = mkdtempSync(join(tmpdir(), 'signals-cli-build-'));
    const runnerTemp = mkdtempSync(join(tmpdir(), 'signals-runner-temp-'));
    const envFile = join(work, 'build-rs.env');
    patterns.push(`^([^ ]*/)?cargo .*${CRATE}`, TARGET, `^([^ ]*/)?docker-registry serve ${runnerTemp}`);
    const run = cli(
      [CRATE, '--toolchain', 'debian', '--no-optimize', '--no-smoke', '--local-registry', '--work-dir', work],
      {
        RUNNER_TEMP: runnerTemp,
        TMPDIR: runnerTemp,
        WASM_BUILD_TEST_ENV_FILE: envFile,
        WASM_BUILD_TEST_SLEEP_MS: '60000',
      },
    );
    await until(`build.rs to start\n${run.output()}`, 120_000, () => existsSync(envFile));
    // The build script (a grandchild: node → cargo → build-script-build) sleeps; cargo waits for it.
    expect(pids(TARGET).length).toBeGreaterThanOrEqual(1);
    expect(pids(`^([^ ]*/)?cargo .*${CRATE}`).length).toBeGreaterThanOrEqual(1);

    run.child.kill('SIGTERM');
    const { code } = await exited(run.child, 15_000);
    expect(code, run.output()).toBe(143);
    await until('the build script to go', 3000, () => pids(TARGET).length === 0).catch(() => undefined);
    expect(pids(TARGET)).toEqual([]);
    expect(pids(`^([^ ]*/)?cargo .*${CRATE}`)).toEqual([]);
    expect(pids(`^([^ ]*/)?docker-registry serve ${runnerTemp}`)).toEqual([]);
    expect(left(runnerTemp).filter((f) => f.startsWith('wasm-build-'))).toEqual([]);
  });

  it.each([
    ['SIGTERM', 143],
    ['SIGINT', 130],
  ] as const)('%s to the image action bundle mid-push: exit %i, skopeo stopped, auth file gone, no tag', async (signal, want) => {
    const p = await stallingProxy();
    const layout = join(mkdtempSync(join(tmpdir(), 'signals-action-')), 'oci-layout');
    patterns.push(`^([^ ]*/)?skopeo .*${layout}`);
    const repository = `signals/action-${signal.toLowerCase()}`;
    const run = startAction('image', {
      wasm: join(ROOT, 'test/fixtures/fit/sign-ext.wasm'),
      image: `${p.address}/${repository}:v1`,
      username: USER.username,
      password: USER.password,
      backend: 'skopeo',
      'layout-dir': layout,
      // The action's default "." is this repository, which has no Cargo.toml.
      'manifest-path': CRATE,
    });
    started.push(run.child);
    const runnerTemp = run.env.RUNNER_TEMP;
    await midPush(p, run.child, run.output, 60_000);
    expect(pids(`^([^ ]*/)?skopeo .*${layout}`)).toHaveLength(1);
    expect(readdirSync(runnerTemp).filter((f) => f.startsWith('wasm-build-auth-'))).toHaveLength(1);

    run.child.kill(signal);
    await exited(run.child, 15_000);
    const r = await run.done;
    expect(r.code, run.output()).toBe(want);
    expect(pids(`^([^ ]*/)?skopeo .*${layout}`)).toEqual([]);
    expect(left(runnerTemp).filter((f) => /wasm-build-(auth|push)-/.test(f))).toEqual([]);
    expect(r.outputs.digest).toBeUndefined();
    expect(
      secretsIn({
        // `::add-mask::` is how the runner learns what to mask; it consumes the line and never shows it.
        stdout: r.stdout.replace(/^::add-mask::.*$/gm, ''),
        stderr: r.stderr,
        GITHUB_OUTPUT: JSON.stringify(r.outputs),
        summary: r.summary,
        ...filesText(runnerTemp),
      }),
    ).toEqual([]);
    expect(await tags(repository)).toEqual([]);
  });
});
