import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { childEnv, isSecretEnv } from '../src/env.ts';
import { exec, OutputTail } from '../src/exec.ts';

const FIXTURES = join(import.meta.dirname, 'fixtures');
const tsx = (script: string, args: string[], env: NodeJS.ProcessEnv = process.env) =>
  spawnSync(process.execPath, ['--import', 'tsx', join(FIXTURES, script), ...args], {
    encoding: 'utf8',
    env,
    timeout: 30_000,
  });

describe('childEnv', () => {
  it('drops INPUT_*, our secrets and the runner tokens, keeps the rest, and lets the command say what it needs', () => {
    const env = childEnv(
      { GITHUB_TOKEN: 'given-on-purpose' },
      {
        PATH: '/usr/bin',
        HOME: '/home/runner',
        CARGO_REGISTRY_TOKEN: 'cargo-needs-this',
        INPUT_PASSWORD: 'p',
        'INPUT_MANIFEST-PATH': '.',
        input_lower: 'x',
        WASM_BUILD_PASSWORD: 'p',
        GITHUB_TOKEN: 'from-the-runner',
        ACTIONS_RUNTIME_TOKEN: 't',
        ACTIONS_ID_TOKEN_REQUEST_TOKEN: 't',
        ACTIONS_ID_TOKEN_REQUEST_URL: 'https://oidc',
        GITHUB_REPOSITORY: 'org/repo',
      },
    );
    expect(env).toEqual({
      PATH: '/usr/bin',
      HOME: '/home/runner',
      CARGO_REGISTRY_TOKEN: 'cargo-needs-this',
      GITHUB_REPOSITORY: 'org/repo',
      GITHUB_TOKEN: 'given-on-purpose',
    });
    expect(isSecretEnv('Input_Password')).toBe(true);
    expect(isSecretEnv('GITHUB_WORKSPACE')).toBe(false);
  });
});

describe('exec.run child environment', () => {
  const saved = { ...process.env };
  afterEach(() => {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
  });

  it('gives a real child no INPUT_PASSWORD, WASM_BUILD_PASSWORD or GITHUB_TOKEN, but what cmd.env names', async () => {
    Object.assign(process.env, {
      INPUT_PASSWORD: 'hunter2-input',
      WASM_BUILD_PASSWORD: 'hunter2-cli',
      GITHUB_TOKEN: 'ghs_runner',
      ACTIONS_RUNTIME_TOKEN: 'runtime',
      WASM_BUILD_VISIBLE: 'yes',
    });
    const r = await exec.run({
      command: process.execPath,
      args: ['-e', 'process.stdout.write(JSON.stringify(process.env))'],
      env: { EXTRA: 'given' },
    });
    const env = JSON.parse(r.stdout) as Record<string, string>;
    expect(env.WASM_BUILD_VISIBLE).toBe('yes');
    expect(env.EXTRA).toBe('given');
    expect(Object.keys(env).filter((k) => /^INPUT_|PASSWORD|^GITHUB_TOKEN$|^ACTIONS_RUNTIME_TOKEN$/.test(k))).toEqual(
      [],
    );
    expect(r.stdout).not.toMatch(/hunter2|ghs_runner/);
  });
});

describe('OutputTail', () => {
  it('keeps the last bytes, starts at a whole line and says how much it dropped', () => {
    const t = new OutputTail(16);
    for (const s of ['line one\n', 'line two\n', 'line three\n', 'four\n']) t.push(Buffer.from(s));
    // 34 bytes written, 16 kept ("ne three\nfour\n" after the cut), then from the next whole line
    expect(t.dropped).toBe(18);
    expect(t.text('stdout')).toBe('[wasm-build: stdout truncated: 34 bytes written, only the last 5 kept]\nfour\n');
  });

  it('keeps a chunk larger than the cap by its end, and is exact below the cap', () => {
    const t = new OutputTail(4);
    t.push(Buffer.from('abcdefgh'));
    expect(t.text('stderr')).toBe('[wasm-build: stderr truncated: 8 bytes written, only the last 4 kept]\nefgh');
    const small = new OutputTail(100);
    small.push(Buffer.from('a\nb'));
    expect([small.dropped, small.text('stdout')]).toEqual([0, 'a\nb']);
  });

  it('bounds what exec.run keeps to maxOutputBytes and reports the truncation', async () => {
    const r = await exec.run(
      { command: process.execPath, args: ['-e', 'for(let i=0;i<1000;i++)console.log("line "+i)'] },
      { maxOutputBytes: 100 },
    );
    expect(r.truncated?.stdout).toBeGreaterThan(7000);
    expect(r.truncated?.stderr).toBeUndefined();
    expect(r.stdout).toMatch(
      /^\[wasm-build: stdout truncated: \d+ bytes written, only the last \d+ kept\]\nline 9\d\d\n/,
    );
    expect(r.stdout.endsWith('line 999\n')).toBe(true);
    expect(r.stdout.length).toBeLessThan(200);
  });
});

describe('a child that writes without pause', () => {
  // Without the cap this process holds everything the child wrote (hundreds of MiB a second, 877 MiB in 5 s in the
  // issue) and then fails to make a string of it; with it, the peak RSS stays near node's own.
  const LIMIT = 200 * 1024 * 1024;

  it('costs bounded memory while it runs to its end, and its last line is kept', () => {
    const r = tsx('flood.ts', ['1']);
    expect(r.status, r.stderr).toBe(0);
    const m = JSON.parse(r.stdout);
    const wrote = Number(/wrote (\d+)/.exec(m.stderr)?.[1]);
    expect(wrote).toBeGreaterThan(64 * 1024 * 1024);
    expect(m.maxRssBytes).toBeLessThan(LIMIT);
    expect(m.stdoutLength).toBeLessThanOrEqual(1024 * 1024 + 200);
    expect(m.truncated.stdout).toBeGreaterThan(wrote - 2 * 1024 * 1024);
    expect(m.head).toMatch(/^\[wasm-build: stdout truncated: \d+ bytes written, only the last \d+ kept\]\n/);
    expect(m.tail).toMatch(/the last line\n$/);
  });

  it('costs bounded memory until its timeout, and the timeout error carries the tail', () => {
    const r = tsx('flood.ts', ['1', 'timeout']);
    expect(r.status, r.stderr).toBe(0);
    const m = JSON.parse(r.stdout);
    expect(m.timedOut).toBe(true);
    expect(m.maxRssBytes).toBeLessThan(LIMIT);
    expect(m.stdoutLength).toBeGreaterThan(0);
    expect(m.stdoutLength).toBeLessThanOrEqual(1024 * 1024 + 200);
    expect(m.head).toMatch(/^\[wasm-build: stdout truncated: /);
  });
});

describe('handleInterrupts', () => {
  function alive(pid: number): boolean {
    // A killed orphan may stay a zombie when PID 1 does not reap (a container): that is dead too.
    if (!existsSync(`/proc/${pid}/stat`)) return false;
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  }

  it.runIf(process.platform === 'linux')(
    'on SIGTERM kills the child and the grandchild that ignores SIGTERM, removes temp dirs, exits 143',
    async () => {
      const temp = mkdtempSync(join(tmpdir(), 'interrupt-'));
      const pidFile = join(temp, 'grandchild.pid');
      const child = spawn(process.execPath, ['--import', 'tsx', join(FIXTURES, 'interrupt.ts'), pidFile], {
        env: { ...process.env, RUNNER_TEMP: temp },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout.on('data', (b) => {
        out += b;
      });
      child.stderr.on('data', (b) => {
        out += b;
      });
      const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
      const deadline = Date.now() + 20_000;
      while (!existsSync(pidFile) || !readFileSync(pidFile, 'utf8')) {
        if (Date.now() > deadline) throw new Error(`no grandchild pid: ${out}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      const grandchild = Number(readFileSync(pidFile, 'utf8'));
      expect(alive(grandchild)).toBe(true);
      expect(readdirSync(temp).filter((f) => f.startsWith('wasm-build-itest-'))).toHaveLength(1);
      child.kill('SIGTERM');
      const code = await Promise.race([closed, new Promise((r) => setTimeout(() => r('hung'), 10_000))]);
      try {
        expect(code, out).toBe(143);
        expect(out).toMatch(/wasm-build: SIGTERM received: stopping .*node.*, removing temporary files and exiting/);
        expect(out).not.toContain('resolved');
        expect(readdirSync(temp).filter((f) => f.startsWith('wasm-build-itest-'))).toEqual([]);
        expect(alive(grandchild)).toBe(false);
      } finally {
        if (alive(grandchild)) process.kill(grandchild, 'SIGKILL');
      }
    },
  );
});

describe('exec.run onStderr', () => {
  it('never splits a UTF-8 character that arrives in two chunks', async () => {
    const chunks: string[] = [];
    // "é" is 0xc3 0xa9: the child writes the two bytes 100 ms apart, so they arrive as two chunks.
    const r = await exec.run(
      {
        command: process.execPath,
        args: [
          '-e',
          'process.stderr.write(Buffer.from([0xc3])); setTimeout(() => process.stderr.write(Buffer.from([0xa9, 0x0a])), 100)',
        ],
      },
      { onStderr: (c) => chunks.push(c) },
    );
    expect(r.exitCode).toBe(0);
    expect(chunks.join('')).toBe('é\n');
    expect(chunks.join('')).not.toContain('\ufffd');
  });
});
