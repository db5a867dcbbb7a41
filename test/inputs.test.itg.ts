// Every input is validated before any work, through the action bundles as the runner runs them and through the CLI:
// a bad value fails as one line naming the input and the value, with no stage started (no ::group::, no `▶ setup`),
// no request made and nothing written. And an expect-stdout regular expression is matched in linear time (RE2).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, type ExpectStatic, expect, it } from 'vitest';

const globalExpect = expect;

import { collect } from './helpers/child.ts';
import { type ActionRun, ROOT, runAction } from './helpers/run-action.ts';
import { HAVE, requireTools } from './helpers/tools.ts';

// Stands in for the registry and the binaryen mirror: a run that validates first never asks it anything.
let server: Server;
let address = '';
const requests: string[] = [];
beforeAll(async () => {
  server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    res.writeHead(500).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  address = `127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((resolve) => server.close(resolve)));

const HELLO = { 'manifest-path': 'examples/hello', toolchain: 'debian', runtimes: 'node' };

/** Checks a run failed on its inputs alone: one error annotation starting with `message`, no stage, no request. */
function refusedBeforeWork(r: ActionRun, message: string, requestsBefore: number, expect: ExpectStatic = globalExpect) {
  const errors = r.stdout.split('\n').filter((l) => l.startsWith('::error::'));
  expect(r.code, r.stdout + r.stderr).toBe(1);
  expect(errors).toHaveLength(1);
  expect(errors[0].slice('::error::'.length)).toMatch(new RegExp(`^${message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  expect(r.stdout).not.toContain('::group::');
  expect(r.outputs).toEqual({});
  expect(r.summary).toBe('');
  expect(requests.length).toBe(requestsBefore);
}

describe('the root action refuses a bad input before setup', () => {
  it('an expect-stdout that is not an RE2 regular expression: nothing built, nothing pushed', async () => {
    const work = join(mkdtempSync(join(tmpdir(), 'inputs-')), 'work');
    const before = requests.length;
    const r = await runAction('.', {
      ...HELLO,
      image: `${address}/inputs/hello:v1`,
      'binaryen-base-url': `http://${address}`,
      'work-dir': work,
      'expect-stdout': 'Hello (from',
      'expect-stdout-regex': 'true',
    });
    refusedBeforeWork(r, 'Invalid input "expect-stdout": "Hello (from": not an RE2 regular expression', before);
    expect(existsSync(work)).toBe(false);
  });

  it.concurrent.for([
    [{ timeout: '1000000000000' }, 'Invalid input "timeout": "1000000000000": expected at most 21600000 ms (6 hours)'],
    [{ 'expect-exit-code': '256' }, 'Invalid input "expect-exit-code": "256": Too big: expected number to be <=255'],
    [{ preopen: '/' }, 'Invalid input "preopen": "/": / is the file system root'],
    [
      { 'wasm-opt-args': '-O3\n--symbolmap=/tmp/elsewhere' },
      'Invalid input "wasm-opt-args": "--symbolmap=/tmp/elsewhere"',
    ],
  ] as [Record<string, string>, string][])('%j', async ([inputs, message], { expect }) => {
    // Concurrently: none of these may make a request, so the count stays what it was before them all.
    const r = await runAction('.', { ...HELLO, image: `${address}/inputs/hello:v1`, ...inputs });
    refusedBeforeWork(r, message, requests.length, expect);
    expect(requests).toHaveLength(0);
  });
});

describe('the stage actions refuse a bad input before any work', () => {
  it('build: a wasm-opt-args that writes a file (--symbolmap=FILE) is refused, and the file never appears', async () => {
    const elsewhere = join(mkdtempSync(join(tmpdir(), 'inputs-')), 'elsewhere');
    const r = await runAction('build', {
      'manifest-path': 'examples/hello',
      toolchain: 'debian',
      'wasm-opt-args': `--symbolmap=${elsewhere}`,
    });
    refusedBeforeWork(
      r,
      `Invalid input "wasm-opt-args": "--symbolmap=${elsewhere}": --symbolmap with a value`,
      requests.length,
    );
    expect(existsSync(elsewhere)).toBe(false);
  });

  it('image: a layout-dir Linux would refuse (ENAMETOOLONG) is an input error, not a raw one', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'inputs-'));
    const r = await runAction('image', {
      wasm: join(ROOT, 'test/fixtures/fit/sign-ext.wasm'),
      'layout-dir': join(parent, 'l'.repeat(300)),
    });
    refusedBeforeWork(r, 'Invalid input "layout-dir"', requests.length);
    expect(r.stdout).toContain('is 300 bytes long; at most 255 (NAME_MAX)');
    expect(readdirSync(parent)).toEqual([]);
  });

  it.concurrent.for([
    [{ timeout: '1000000000000' }, 'Invalid input "timeout": "1000000000000": expected at most 21600000 ms (6 hours)'],
    [{ preopen: '/' }, 'Invalid input "preopen": "/": / is the file system root'],
    [
      { preopen: '/nonexistent/wasm-build-data' },
      'Invalid input "preopen": "/nonexistent/wasm-build-data": the directory /nonexistent/wasm-build-data does not exist',
    ],
    [
      { 'expect-stdout': 'a(?=b)', 'expect-stdout-regex': 'true' },
      'Invalid input "expect-stdout": "a(?=b)": not an RE2 regular expression',
    ],
  ] as [Record<string, string>, string][])('smoke-test %j', async ([inputs, message], { expect }) => {
    const r = await runAction('smoke-test', {
      wasm: join(ROOT, 'test/fixtures/fit/sign-ext.wasm'),
      runtimes: 'node',
      ...inputs,
    });
    refusedBeforeWork(r, message, requests.length, expect);
  });
});

// A module that writes 40 "a" and a "c": `(a+)+b` backtracks 2^40 times in V8's engine before failing.
const AAAC = `(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "${'a'.repeat(40)}c\\n")
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const 42))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))`;

describe.runIf(requireTools('RE2 expect-stdout through the smoke-test bundle', { wat2wasm: HAVE.wat2wasm }))(
  'smoke-test matches expect-stdout with RE2',
  () => {
    it('(a+)+b against 40 a and a c fails at once instead of hanging; ^a{40}c passes', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'inputs-re2-'));
      writeFileSync(join(dir, 'aaac.wat'), AAAC);
      const wasm = join(dir, 'aaac.wasm');
      expect(spawnSync('wat2wasm', [join(dir, 'aaac.wat'), '-o', wasm]).status).toBe(0);
      const inputs = { wasm, runtimes: 'node', 'expect-stdout-regex': 'true' };
      const started = performance.now();
      const bad = await runAction('smoke-test', { ...inputs, 'expect-stdout': '(a+)+b' });
      expect(performance.now() - started).toBeLessThan(30_000);
      expect(bad.code, bad.stdout + bad.stderr).toBe(1);
      expect(JSON.parse(bad.outputs.results)).toMatchObject([
        { runtime: expect.stringMatching(/^node/), status: 'fail', reason: 'stdout does not match /(a+)+b/' },
      ]);
      const good = await runAction('smoke-test', { ...inputs, 'expect-stdout': '^a{40}c' });
      expect(good.code, good.stdout + good.stderr).toBe(0);
    });
  },
);

describe('the CLI refuses a bad flag before any stage', () => {
  function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      // Asynchronous, so this process's server keeps answering (a run that did push would show in `requests`).
      collect(
        spawn(process.execPath, [join(ROOT, 'bin/wasm-build.js'), ...args], { cwd: ROOT, timeout: 170_000 }),
      ).then(resolve);
    });
  }

  const CASES: [string[], string][] = [
    [
      ['--expect-stdout', 'Hello (from', '--expect-stdout-regex'],
      'Invalid --expect-stdout "Hello (from": not an RE2 regular expression',
    ],
    [['--timeout', '1000000000000'], 'Invalid --timeout 1000000000000: expected at most 21600000 ms (6 hours)'],
  ];

  it(`${CASES.map(([f]) => f[0]).join(', ')}: one line each, exit 2, no stage, nothing pushed`, async () => {
    const before = requests.length;
    // In parallel: each run is mostly tsx starting up. (The other flags' checks are parseCli's, in unit tests.)
    const runs = await Promise.all(
      CASES.map(async ([flags]) => {
        const work = join(mkdtempSync(join(tmpdir(), 'inputs-cli-')), 'work');
        const image = `${address}/inputs/hello:v1`;
        const r = await cli([
          'examples/hello',
          '--toolchain',
          'debian',
          '--image',
          image,
          '--work-dir',
          work,
          ...flags,
        ]);
        return { ...r, work };
      }),
    );
    runs.forEach((r, i) => {
      expect(r.code, r.stdout + r.stderr).toBe(2);
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(new RegExp(`^wasm-build: ${CASES[i][1].replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
      expect(r.stdout + r.stderr).not.toContain('▶ setup');
      expect(existsSync(r.work)).toBe(false);
    });
    expect(requests.length).toBe(before);
  });
});
