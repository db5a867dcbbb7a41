import { buildReport, decodeModule } from '@wasm-build/wasm';
import { describe, expect, it } from 'vitest';
import { corpusFile } from '../../../test/helpers/corpus.ts';
import { featureFlags, parseSupportedFlags, wasmOptCommand } from '../src/wasm-opt.ts';

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
