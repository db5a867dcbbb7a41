import { buildReport, decodeModule } from '@wasm-build/wasm';
import { describe, expect, it } from 'vitest';
import { corpusFile } from '../../../test/helpers/corpus.ts';
import { checkExpectations, nodeRunnerCommand, runUnderNode } from '../src/index.ts';

const load = (f: string) => {
  const wasm = corpusFile(`binaries/${f}`);
  return { wasm, report: buildReport(decodeModule(wasm)) };
};

describe('checkExpectations', () => {
  it.each([
    [0, 'hi', {}, undefined],
    [1, 'hi', {}, 'exit code 1, expected 0'],
    [3, 'hi', { exitCode: 3 }, undefined],
    [0, 'hello world', { stdout: 'world' }, undefined],
    [0, 'hello', { stdout: 'world' }, 'stdout does not contain "world"'],
    [0, 'v1.2', { stdout: /v\d\.\d/ }, undefined],
  ])('exit %d stdout %j %j', (code, out, e, want) => {
    expect(checkExpectations(code, out, e)).toBe(want);
  });
});

// Node itself is the runtime here: these run real modules under node:wasi in a child process.
describe('runUnderNode', () => {
  it('runs a preview1 module and checks its stdout', async () => {
    const { wasm, report } = load('wasi-testsuite_as_fd_write-to-stdout.wasm');
    const r = await runUnderNode(wasm, '/m.wasm', report, { stdout: /\S/ });
    expect(r).toMatchObject({ status: 'pass', exitCode: 0 });
    expect(r.stdout.length).toBeGreaterThan(0);
  });

  it('fails with the reason when the exit code differs', async () => {
    const { wasm, report } = load('wasi-testsuite_as_proc_exit-success.wasm');
    const r = await runUnderNode(wasm, '/m.wasm', report, { exitCode: 7 });
    expect(r).toMatchObject({ status: 'fail', exitCode: 0, reason: 'exit code 0, expected 7' });
  });

  it("runs a wasi-threads module and reports its link failure in V8's words (RUNTIME-OUTCOMES.tsv node_wasi)", async () => {
    const { wasm, report } = load('wasi-testsuite_thread_spawn-simple.wasm');
    const r = await runUnderNode(wasm, '/m.wasm', report, {});
    expect(r.status).toBe('fail');
    expect(r.outcome).toEqual({
      class: 'link-fail',
      error: 'TypeError: WebAssembly.Instance(): Import #8 module="wasi" error: module is not an object or function',
    });
  });

  it('runs shared-memory modules with --no-liftoff', () => {
    const { report } = load('wamr_pthread_mutex.wasm');
    expect(nodeRunnerCommand(report, '{}').args.slice(0, 3)).toEqual([
      '--no-warnings',
      '--no-liftoff',
      '--input-type=module',
    ]);
  });
});
