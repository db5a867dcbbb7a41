import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exec, memoryLog } from '@wasm-build/kit';
import { buildReport, decodeModule } from '@wasm-build/wasm';
import { afterEach, describe, expect, it, onTestFinished, vi } from 'vitest';
import { corpusFile } from '../../../test/helpers/corpus.ts';
import { featureFlags, optimize, parseSupportedFlags, wasmOptCommand, wasmOptInfo } from '../src/wasm-opt.ts';

const report = (file: string) => buildReport(decodeModule(corpusFile(file)));

describe('featureFlags', () => {
  it('enables threads for a module with shared memory and atomics but no target_features (binaryen#5833)', () => {
    const r = report('binaries/wasi-testsuite_wasi_threads_spawn.wasm');
    expect(r.targetFeatures).toBeNull();
    expect(featureFlags(r)).toEqual(['--enable-threads']);
  });

  it('adds what target_features declares, in binaryen names', () => {
    expect(featureFlags(report('binaries/wasi-testsuite_thread_spawn-simple.wasm'))).toEqual([
      '--enable-bulk-memory',
      '--enable-bulk-memory-opt',
      '--enable-mutable-globals',
      '--enable-sign-ext',
      '--enable-threads',
    ]);
  });

  it('drops flags the installed wasm-opt does not know', () => {
    const supported = parseSupportedFlags(
      '  --enable-threads  ...\n  --enable-bulk-memory ...\n  --enable-sign-ext\n --enable-mutable-globals',
    );
    expect(featureFlags(report('binaries/wasi-testsuite_thread_spawn-simple.wasm'), supported)).toEqual([
      '--enable-bulk-memory',
      '--enable-mutable-globals',
      '--enable-sign-ext',
      '--enable-threads',
    ]);
  });
});

describe('wasmOptCommand', () => {
  it.each([
    [{}, ['in.wasm', '-o', 'out.wasm', '-Oz', '--enable-threads']],
    [
      { path: '/opt/bin/wasm-opt', level: '3', extraArgs: ['--strip-debug'] },
      ['in.wasm', '-o', 'out.wasm', '-O3', '--enable-threads', '--strip-debug'],
    ],
  ] as const)('%j', (o, args) => {
    const cmd = wasmOptCommand('in.wasm', 'out.wasm', ['--enable-threads'], {
      ...o,
      extraArgs: o && 'extraArgs' in o ? [...o.extraArgs] : undefined,
    });
    expect(cmd.args).toEqual(args);
    expect(cmd.command).toBe('path' in o ? o.path : 'wasm-opt');
  });
});

describe('optimize asks wasm-opt what it needs, once', () => {
  afterEach(() => vi.restoreAllMocks());

  /** Fakes wasm-opt by command string; returns the commands run, as `command args…` lines. */
  function fakeWasmOpt(help: string) {
    const calls: string[] = [];
    vi.spyOn(exec, 'run').mockImplementation(async (cmd) => {
      const line = [cmd.command, ...cmd.args].join(' ');
      calls.push(line);
      const stdout = cmd.args[0] === '--version' ? 'wasm-opt version 116\n' : cmd.args[0] === '--help' ? help : '';
      return { exitCode: 0, stdout, stderr: '', durationMs: 1 };
    });
    return calls;
  }

  function files() {
    const dir = mkdtempSync(join(tmpdir(), 'wasm-opt-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const input = join(dir, 'in.wasm');
    const output = join(dir, 'out.wasm');
    writeFileSync(input, Buffer.alloc(16));
    writeFileSync(output, Buffer.alloc(8));
    return { input, output };
  }

  it('runs no --help for a module that needs no feature flag', async () => {
    const calls = fakeWasmOpt('  --enable-threads\n');
    const { input, output } = files();
    const mvp = report('binaries/wasi-testsuite_as_proc_exit-success.wasm');
    expect(featureFlags(mvp)).toEqual([]);
    const r = await optimize(input, output, mvp, {}, memoryLog());
    expect(r.version).toBe('wasm-opt version 116');
    expect(calls).toEqual(['wasm-opt --version', `wasm-opt ${input} -o ${output} -Oz`]);
  });

  it('asks --help once for the flags a threaded module needs, and passes only those it lists', async () => {
    const calls = fakeWasmOpt('  --enable-threads  ...\n  --enable-bulk-memory ...\n');
    const { input, output } = files();
    const info = wasmOptInfo('wasm-opt');
    const threads = report('binaries/wasi-testsuite_thread_spawn-simple.wasm');
    await optimize(input, output, threads, { info }, memoryLog());
    await optimize(input, output, threads, { info }, memoryLog());
    expect(calls).toEqual([
      'wasm-opt --version',
      'wasm-opt --help',
      `wasm-opt ${input} -o ${output} -Oz --enable-bulk-memory --enable-threads`,
      `wasm-opt ${input} -o ${output} -Oz --enable-bulk-memory --enable-threads`,
    ]);
  });
});
