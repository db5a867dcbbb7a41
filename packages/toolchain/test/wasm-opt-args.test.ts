// wasm-opt-args may not name a file or a command: every wasm-opt option that writes or reads a file (binaryen
// src/tools/wasm-opt.cpp, version_108 to version_132), in both spellings and both value forms.
import { exec, memoryLog, UserError } from '@wasm-build/kit';
import { buildReport, decodeModule } from '@wasm-build/wasm';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { corpusFile } from '../../../test/helpers/corpus.ts';
import { checkWasmOptArgs, optimize, wasmOptArgsProblem } from '../src/wasm-opt.ts';

describe('wasmOptArgsProblem', () => {
  it.each([
    [['--symbolmap=/elsewhere'], 0, '--symbolmap with a value writes that file'],
    [['--print-function-map=map.txt'], 0, '--print-function-map with a value writes that file'],
    [['-O3', '--output=/tmp/x.wasm'], 1, '--output sets the output file'],
    [['-o', 'x.wasm'], 0, '-o sets the output file'],
    [['-S'], 0, '-S writes text instead of the binary module'],
    [['--emit-text'], 0, '--emit-text writes text'],
    [['--output-source-map', 'x.map'], 0, '--output-source-map writes a source map file'],
    [['-osm=x.map'], 0, '-osm writes a source map file'],
    [['--input-source-map=x.map'], 0, '--input-source-map reads a file'],
    [['-ism', 'x.map'], 0, '-ism reads a file'],
    [['--emit-js-wrapper=w.js'], 0, '--emit-js-wrapper writes a file'],
    [['-ejw', 'w.js'], 0, '-ejw writes a file'],
    [['--emit-spec-wrapper', 'w'], 0, '--emit-spec-wrapper writes a file'],
    [['-esw', 'w'], 0, '-esw writes a file'],
    [['--emit-wasm2c-wrapper=w.c'], 0, '--emit-wasm2c-wrapper writes a file'],
    [['--extra-fuzz-command', 'touch pwned'], 0, '--extra-fuzz-command runs a shell command'],
    [['-efc=id'], 0, '-efc runs a shell command'],
    [['-ttf'], 0, '-ttf replaces the module with generated code'],
    [['--initial-fuzz=seed.wasm'], 0, '--initial-fuzz reads a file'],
    [['--print-function-map', '--pass-arg=symbolmap@map.txt'], 1, 'the symbolmap pass argument is a file it writes'],
    [['-pa', 'symbolmap@map.txt'], 0, 'the symbolmap pass argument is a file it writes'],
    [['--pass-arg=asyncify-imports@@list.txt'], 0, 'a pass argument of @FILE is read from FILE'],
    [['--asyncify=@list.txt'], 0, 'a value of @FILE is read from FILE'],
    [['--strip-debug', '../out'], 1, 'an argument holding "/" names a file'],
    [['--pass-arg=future-file@/etc/passwd'], 0, 'an argument holding "/" names a file'],
  ])('%j is refused', (args, index, why) => {
    expect(wasmOptArgsProblem(args)).toEqual({ index, why: expect.stringContaining(why) });
  });

  it.each([
    [[]],
    [['-O3', '--converge', '--strip-debug', '--enable-simd', '-g', '--symbolmap', '--print-function-map']],
    [['--shrink-level', '2', '-ol', '3', '--pass-arg=asyncify-imports@env.sleep', '-pa', 'inline-main']],
    [['--skip-pass=dce', '--inline-functions-with-loops', '--output-source-map-url=map.json']],
  ])('%j passes', (args) => {
    expect(wasmOptArgsProblem(args)).toBeUndefined();
  });
});

describe('optimize', () => {
  afterEach(() => vi.restoreAllMocks());

  it('refuses a file-writing argument before running wasm-opt at all', async () => {
    const run = vi.spyOn(exec, 'run');
    const report = buildReport(decodeModule(corpusFile('binaries/wasi-testsuite_wasi_threads_spawn.wasm')));
    const err = await optimize('in.wasm', 'out.wasm', report, { extraArgs: ['--symbolmap=/elsewhere'] }, memoryLog())
      .then(() => undefined)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toBe(
      'Refused wasm-opt argument "--symbolmap=/elsewhere": --symbolmap with a value writes that file',
    );
    expect(run).not.toHaveBeenCalled();
    expect(() => checkWasmOptArgs(['-O2', '--enable-threads'])).not.toThrow();
  });
});
