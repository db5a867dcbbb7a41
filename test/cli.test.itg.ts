// The README's main job, end to end through the real CLI: Debian Rust, wasm-opt, docker-registry, skopeo, node:wasi.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort, parseImageRef, RegistryClient } from '@wasm-build/oci';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { CORPUS } from './helpers/corpus.ts';
import { HELLO_SMOKE_ARGS } from './helpers/hello.ts';
import { useLocalRegistry } from './helpers/registry.ts';
import { runCli } from './helpers/run-action.ts';
import { HAVE, requireTools } from './helpers/tools.ts';

// A free port on loopback, so nothing listens there (fetch refuses some low ports, such as 1, outright).
const DEAD = `127.0.0.1:${await freePort()}`;

const ROOT = resolve(import.meta.dirname, '..');
const all = requireTools('CLI end-to-end tests', {
  'cargo +debian': HAVE.debianRust,
  'wasm-opt': HAVE.wasmOpt,
  skopeo: HAVE.skopeo,
  'docker-registry': HAVE.registry,
});

const cli = runCli;

const NO_STACK = /\n\s+at .+:\d+:\d+/;

// verify needs no external tool: these run everywhere.
describe('wasm-build verify', () => {
  const schema = JSON.parse(readFileSync(join(ROOT, 'schemas/verify-report.v1.json'), 'utf8'));

  it('prints a document matching schemas/verify-report.v1.json and fails on the compat-smart entrypoint', () => {
    const module = join(CORPUS, 'binaries/wasi-testsuite_thread_spawn-simple.wasm');
    const r = cli(['verify', '--json', '--entrypoint', '/app', '--target', 'wasm32-wasip1-threads', module]);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout);
    const validate = new Ajv2020({ strict: true }).compile(schema);
    expect(validate(doc), JSON.stringify(validate.errors)).toBe(true);
    expect(doc.checks.map((c: { name: string; status: string }) => [c.name, c.status])).toEqual([
      ['threads target', 'pass'],
      ['compat-smart entrypoint', 'fail'],
    ]);
    expect(r.stderr).toMatch(/^wasm-build: The entrypoint "\/app" does not end in .wasm or .wat/);
    expect(r.all).not.toMatch(NO_STACK);
  });

  it('prints the feature, check and runtime tables, ASCII and 100 columns wide when stdout is no terminal', () => {
    const module = join(CORPUS, 'binaries/wasi-testsuite_thread_spawn-simple.wasm');
    const r = cli(['verify', '--max-size', '1000000', module], { NO_COLOR: '1', COLUMNS: '' });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/\| shared-memory\s+\| yes\s+\| imported memory env.memory/);
    expect(r.stdout).toMatch(/\| max size\s+\| pass\s+\| \d+ bytes <= 1000000/);
    expect(r.stdout).toMatch(/\| crun-wasmedge\s+\| cannot\s+\|/);
    expect(r.stdout).not.toMatch(/[│✓✗⚠]/);
    expect(Math.max(...r.stdout.split('\n').map((l) => l.length))).toBeLessThanOrEqual(100);
    // Sized to COLUMNS, the status words whole.
    const narrow = cli(['verify', module], { NO_COLOR: '1', COLUMNS: '60' });
    expect(Math.max(...narrow.stdout.split('\n').map((l) => l.length))).toBeLessThanOrEqual(60);
    expect(narrow.stdout).toMatch(/\| wasmtime\s+\| needs-flag\s+\|/);
    expect(r.stdout).toMatch(/^atomics: 59 \(load 0, store 11, rmw 14, cmpxchg 24, waitNotify 10, fence 0\)/m);
  });

  it.each([
    [
      'a non-wasm file',
      Buffer.from('#!/bin/sh\necho hi\n'),
      /is not a valid WebAssembly module: magic header not detected at byte offset 0.*Pass the .wasm file cargo built/s,
    ],
    [
      'a truncated module',
      Buffer.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 1, 0x20, 1, 0x60]),
      /is not a valid WebAssembly module: length out of bounds at byte offset 10.*The file is truncated/s,
    ],
    [
      'a shared memory without a maximum',
      Buffer.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 5, 3, 1, 2, 1]),
      /shared memory must have maximum at byte offset 11.*-C link-arg=--max-memory=BYTES/s,
    ],
  ])('rejects %s with the offset, the fix and no stack trace', (_, bytes, message) => {
    const file = join(mkdtempSync(join(tmpdir(), 'bad-')), 'm.wasm');
    writeFileSync(file, bytes);
    const r = cli(['verify', file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(message);
    expect(r.all).not.toMatch(NO_STACK);
  });

  it('leaves nothing in the temp dir, not even the docker toolkit directory', () => {
    const tmp = mkdtempSync(join(tmpdir(), 'cli-tmp-'));
    const r = cli(['verify', join(CORPUS, 'binaries/wasi-testsuite_as_fd_write-to-stdout.wasm')], {
      TMPDIR: tmp,
      RUNNER_TEMP: tmp,
    });
    expect(r.code).toBe(0);
    // tsx (which runs the CLI from a checkout) keeps its compile cache there; nothing else may remain.
    expect(readdirSync(tmp).filter((f) => !f.startsWith('tsx-'))).toEqual([]);
  });

  it('--version prints our version and each tool it would use, found or not', () => {
    const r = cli(['--version']);
    expect(r.code).toBe(0);
    const [first, ...tools] = r.stdout.trim().split('\n');
    expect(first).toMatch(/^wasm-build \d+\.\d+\.\d+ \(node v\d+/);
    expect(tools.map((l) => l.trim().split(/\s{2,}/)[0])).toEqual([
      'cargo',
      'wasm-opt',
      'skopeo',
      'oras',
      'docker buildx',
      'wasmedge',
      'wasmtime',
      'crun',
    ]);
    const wasmOpt = spawnSync('wasm-opt', ['--version'], { encoding: 'utf8' });
    const line = tools.find((l) => l.trim().startsWith('wasm-opt'))!;
    expect(line).toContain(wasmOpt.status === 0 ? wasmOpt.stdout.trim() : 'not found');
  });

  it('fails --forbid simd on a component, naming the check', () => {
    const module = join(CORPUS, 'binaries/wasi-testsuite_rust_wasip3_cli-exit.component.wasm');
    const r = cli(['verify', '--forbid', 'simd', module]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^wasm-build: The "forbid simd" check cannot be proven on a component/m);
    expect(r.stdout).toMatch(/\| simd\s+\| unknown\s+\|/);
    expect(r.all).not.toMatch(NO_STACK);
  });

  it("fails a module that V8 rejects, with the validator's message and offset", () => {
    // Our decoder reads it; V8 (a complete validator) rejects it: the table says every runtime fails to load it.
    const module = join(CORPUS, 'binaries/wamr_malformed_fuzz10.wasm');
    const r = cli(['verify', module, '--verbose']);
    expect(r.code).toBe(1);
    expect(r.all).toMatch(/is not valid WebAssembly \(V8 [^)]+\)\): .*@\+271|is not a valid WebAssembly module/);
    expect(r.all).not.toMatch(NO_STACK);
  });

  it('refuses a directory given as the module in one line, even with --verbose', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dir-'));
    const r = cli(['verify', '--verbose', dir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`wasm-build: "${dir}" is a directory, not a module file`);
    expect(r.all).not.toMatch(/EISDIR/);
    expect(r.all).not.toMatch(NO_STACK);
  });
});

describe.runIf(all)('wasm-build CLI', () => {
  const registry = useLocalRegistry();

  it('--json writes only JSON on stdout, on success and on failure (no workflow-command line)', () => {
    const work = mkdtempSync(join(tmpdir(), 'cli-json-'));
    for (const [crate, ok] of [
      ['examples/hello', true],
      ['test/fixtures/broken-crate', false],
    ] as const) {
      const r = cli([crate, '--toolchain', 'debian', '--local-registry', '--json', '--work-dir', work]);
      expect(r.code, r.stderr).toBe(ok ? 0 : 1);
      expect(r.stdout.split('\n').filter((l) => l.startsWith('::'))).toEqual([]);
      const doc = JSON.parse(r.stdout);
      expect(doc.ok).toBe(ok);
      if (!ok) expect(doc.error).toMatch(/cargo build failed/);
    }
  });

  it("prints a failing build's error once, last, with cargo's output whole lines in between", () => {
    const work = mkdtempSync(join(tmpdir(), 'cli-once-'));
    const r = cli(['test/fixtures/broken-crate', '--toolchain', 'debian', '--no-smoke', '--work-dir', work], {
      NO_COLOR: '1',
    });
    expect(r.code).toBe(1);
    const lines = r.stderr.trimEnd().split('\n');
    const error = lines[lines.length - 1];
    expect(error).toMatch(/^wasm-build: cargo build failed for .*broken-crate.*error\[E0308\]: mismatched types/);
    const message = error.slice('wasm-build: '.length);
    // Once on the terminal (stdout and stderr): not in the stage's log line, not in the table.
    expect(r.all.split(message)).toHaveLength(2);
    expect(r.all.split('cargo build failed')).toHaveLength(2);
    expect(lines).toContain('x build failed');
    expect(r.stdout).toMatch(/\| build\s+\| FAILED\s+\|\s+\d+ ms \|\s+\| error below/);
    // Cargo's stderr line by line: its progress and rustc's diagnostic whole, no line cut into "error" / ":".
    expect(lines.some((l) => /^\s+Compiling broken v0\.1\.0 \(/.test(l))).toBe(true);
    expect(lines).toContain('error[E0308]: mismatched types');
    expect(lines).toContain(' --> src/main.rs:3:18');
    expect(lines.filter((l) => /^(error|:|warning)$/.test(l.trim()))).toEqual([]);
    expect(r.all).not.toContain('\u001b[');
  });

  it('colours the status glyphs and words with FORCE_COLOR, and not without', () => {
    const work = mkdtempSync(join(tmpdir(), 'cli-colour-'));
    const args = ['test/fixtures/broken-crate', '--toolchain', 'debian', '--no-smoke', '--work-dir', work];
    const forced = cli(args, { FORCE_COLOR: '1', NO_COLOR: '' });
    expect(forced.code).toBe(1);
    expect(forced.stderr).toContain('\u001b[32m+\u001b[39m setup:');
    expect(forced.stderr).toContain('\u001b[31m\u001b[1mwasm-build:');
    expect(forced.stdout).toContain('\u001b[31mFAILED\u001b[39m');
    // FORCE_COLOR is colour, not Unicode: a pipe still gets ASCII glyphs and borders.
    expect(forced.all).not.toMatch(/[│✓✗]/);
  });

  it('runs every stage on examples/hello with its own local registry, twice with the same digest', () => {
    const work = mkdtempSync(join(tmpdir(), 'cli-'));
    const args = [
      'examples/hello',
      '--toolchain',
      'debian',
      '--local-registry',
      ...HELLO_SMOKE_ARGS,
      '--work-dir',
      work,
    ];
    const first = cli(args);
    expect(first.code, first.all).toBe(0);
    for (const stage of ['setup', 'build', 'optimize', 'verify', 'image', 'push', 'smoke-test']) {
      expect(first.stdout).toMatch(new RegExp(`\\| ${stage}\\s+\\| ok `));
    }
    expect(first.stdout).toContain('Hello from wasm-build!\narg[1]=world\nGREETING=hi');
    const digest = /^digest: (sha256:[0-9a-f]{64}) {2}\(read back from 127\.0\.0\.1:\d+\/wasm-build\/hello@\1\)$/m.exec(
      first.stdout,
    );
    expect(digest, first.stdout).not.toBeNull();
    const second = cli(args);
    expect(second.code).toBe(0);
    expect(/^digest: (sha256:[0-9a-f]{64})/m.exec(second.stdout)?.[1]).toBe(digest![1]);
  });

  // wasm-opt's version and the git facts are asked while cargo builds (steps/early.ts): a failing answer is still the
  // failure of the stage that needs it, reported once, with the stages before it done.
  it.each([
    [
      'a wasm-opt that is not there',
      ['--wasm-opt', '/nonexistent/wasm-opt'],
      {},
      'optimize',
      /Command not found: "\/nonexistent\/wasm-opt"/,
    ],
    ['a malformed SOURCE_DATE_EPOCH', [], { SOURCE_DATE_EPOCH: 'yesterday' }, 'image', /SOURCE_DATE_EPOCH/],
  ] as const)('%s fails its own stage, not an earlier one', (_name, flags, env, stage, error) => {
    const work = mkdtempSync(join(tmpdir(), 'cli-early-'));
    const r = cli(
      ['examples/hello', '--toolchain', 'debian', '--no-smoke', '--json', '--work-dir', work, ...flags],
      env,
    );
    expect(r.code, r.stderr).toBe(1);
    const doc = JSON.parse(r.stdout) as { rows: { stage: string; status: string; detail: string }[]; error: string };
    const failed = doc.rows.filter((row) => row.status === 'failed');
    expect(failed.map((row) => row.stage)).toEqual([stage]);
    expect(failed[0].detail).toMatch(error);
    const before = doc.rows.slice(0, doc.rows.indexOf(failed[0]));
    expect(before.map((row) => row.stage)).toContain('build');
    expect(before.filter((row) => row.status !== 'ok')).toEqual([]);
    expect(r.all).not.toMatch(/Unhandled|UnhandledPromiseRejection/);
  });

  it('--require threads on a non-threaded build fails naming shared memory, atomics and the fix', () => {
    const r = cli(['--require', 'threads', 'examples/hello', '--toolchain', 'debian', '--no-smoke']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /wasm-build: The module was required to use threads but cannot: memory 0 .*not shared; no atomic \(0xFE\) instruction/,
    );
    expect(r.stderr).toContain('--target wasm32-wasip1-threads');
    expect(r.all).not.toMatch(NO_STACK);
  });

  it.each([
    [
      ['examples/missing', '--toolchain', 'debian'],
      /^wasm-build: Cargo manifest not found: "examples\/missing".*Pass the crate directory/m,
      1,
    ],
    [
      ['test/fixtures/broken-crate', '--toolchain', 'debian'],
      /^wasm-build: cargo build failed for .*broken-crate.*error\[E0308\]: mismatched types/m,
      1,
    ],
    [
      ['examples/hello', '--toolchain', 'debian', '--image', `${DEAD}/x/hello:v1`],
      new RegExp(
        `^wasm-build: Registry ${DEAD.replace(/\./g, '\\.')} is unreachable \\(.*ECONNREFUSED.*\\)\\. Check the registry address`,
        'm',
      ),
      1,
    ],
    [['examples/hello', '--image', 'bad/re..f'], /^wasm-build: Invalid --image "bad\/re\.\.f"/m, 2],
    [
      ['examples/hello', '--toolchain', 'no-such-toolchain'],
      /^wasm-build: rustup toolchain install no-such-toolchain failed \(exit code 1\): .*invalid toolchain name.*Name a channel \(stable, beta, nightly\)/m,
      1,
    ],
  ])('bad input %j: one line, the fix, non-zero exit, no stack trace', (args, message, code) => {
    const r = cli(args as string[]);
    expect(r.code).toBe(code);
    expect(r.stderr).toMatch(message);
    expect(r.all).not.toMatch(NO_STACK);
  });

  it('a failing stage before push leaves no tag in the registry', async () => {
    const image = `${registry.current.address}/itg/never:v1`;
    const r = cli(['test/fixtures/broken-crate', '--toolchain', 'debian', '--image', image]);
    expect(r.code).toBe(1);
    const threads = cli(['examples/hello', '--toolchain', 'debian', '--threads', '--image', image]);
    expect(threads.code).toBe(1);
    expect(await new RegistryClient(parseImageRef(image)).tags()).toEqual([]);
  });
});
