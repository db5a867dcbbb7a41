import { describe, expect, it } from 'vitest';
import { corpusFile } from '../../../test/helpers/corpus.ts';
import { buildReport, decodeModule, parseErrorFix, parseFeature, runChecks, WasmParseError } from '../src/index.ts';

const report = (file: string) => buildReport(decodeModule(corpusFile(`binaries/${file}`)));

describe('buildReport', () => {
  it('proves wasi-threads: imported shared env.memory, atomics by kind, thread-spawn and wasi_thread_start', () => {
    const r = report('wasi-testsuite_thread_spawn-simple.wasm');
    expect(r.features['shared-memory']).toEqual({
      used: true,
      evidence: 'imported memory env.memory (min 2, max 2 pages, shared)',
    });
    expect(r.atomics).toEqual({ load: 0, store: 11, rmw: 14, cmpxchg: 24, waitNotify: 10, fence: 0, total: 59 });
    expect(r.features.threads.used).toBe(true);
    expect(r.wasi).toEqual({
      preview1Imports: 7,
      unstableImports: 0,
      threadSpawnImport: true,
      threadStartExport: true,
      version: 'preview1',
    });
    expect(r.targetFeatures).toContain('+atomics');
    expect(r.undeclared).toEqual([]);
  });

  it('reports a plain preview1 module as using no threads, with the reason', () => {
    const r = report('wasi-testsuite_as_fd_write-to-stdout.wasm');
    expect(r.features.threads).toEqual({ used: false, evidence: 'no shared memory and no atomic instruction' });
    expect(r.wasi.version).toBe('preview1');
  });

  it('counts SIMD instructions', () => {
    expect(report('wamr_c_wasm_simd128_example.wasm').features.simd).toEqual({
      used: true,
      evidence: '93 SIMD (0xFD) instructions',
    });
  });

  it('reports a component as such', () => {
    const r = report('wasi-testsuite_rust_wasip3_cli-exit.component.wasm');
    expect(r.kind).toBe('component');
    expect(r.wasi.version).toBe('component');
  });
});

describe('runChecks', () => {
  it('fails require threads on a non-threaded build (W-005) with the evidence and the fix', () => {
    const [c] = runChecks(report('wasi-testsuite_as_fd_write-to-stdout.wasm'), { require: ['threads'] });
    expect(c.status).toBe('fail');
    expect(c.message).toContain('memory 0 (min 1, no max pages): not shared');
    expect(c.message).toContain('no atomic (0xFE) instruction in any function body');
    expect(c.message).toContain('wasm32-wasip1-threads');
  });

  it('passes require threads on a wasi-threads module', () => {
    expect(runChecks(report('wasi-testsuite_thread_spawn-simple.wasm'), { require: ['threads'] })).toEqual([
      { name: 'require threads', status: 'pass', message: 'shared memory and 59 atomic instructions' },
    ]);
  });

  it('fails forbid simd and max size with numbers', () => {
    const checks = runChecks(report('wamr_c_wasm_simd128_example.wasm'), { forbid: ['simd'], maxSize: 100 });
    expect(checks.map((c) => [c.name, c.status])).toEqual([
      ['forbid simd', 'fail'],
      ['max size', 'fail'],
    ]);
    expect(checks[1].message).toMatch(/^The module is \d+ bytes, over the limit of 100 bytes/);
  });

  it('warns on atomics without shared memory', () => {
    const r = buildReport(decodeModule(corpusFile('spec/valid/threads-atomic.2.wasm')));
    expect(runChecks(r).map((c) => [c.name, c.status])).toEqual([['atomics on shared memory', 'warn']]);
  });

  it('fails a threads target whose output has no shared memory, naming the target and the evidence', () => {
    const [c] = runChecks(report('wasi-testsuite_as_fd_write-to-stdout.wasm'), {
      threadsTarget: 'wasm32-wasip1-threads',
    });
    expect(c.name).toBe('threads target');
    expect(c.status).toBe('fail');
    expect(c.message).toMatch(
      /^The module was built for wasm32-wasip1-threads, which links an imported shared env.memory, but the output has none: memory 0 \(min \d+, .*\): not shared\./,
    );
    expect(c.message).toContain('RUSTFLAGS');
    expect(
      runChecks(report('wasi-testsuite_thread_spawn-simple.wasm'), { threadsTarget: 'wasm32-wasip1-threads' }),
    ).toEqual([
      {
        name: 'threads target',
        status: 'pass',
        message: 'wasm32-wasip1-threads: imported memory env.memory (min 2, max 2 pages, shared)',
      },
    ]);
  });

  it.each([
    ['/hello.wasm', 'pass', '/hello.wasm ends in .wasm'],
    ['/hello.wat', 'pass', '/hello.wat ends in .wat'],
    ['/hello', 'fail', 'The entrypoint "/hello" does not end in .wasm or .wat'],
    ['/hello.wasm.sh', 'fail', 'The entrypoint "/hello.wasm.sh" does not end in .wasm or .wat'],
  ])('checks the compat-smart entrypoint %s: %s', (entrypoint, status, start) => {
    const [c] = runChecks(report('wasi-testsuite_as_fd_write-to-stdout.wasm'), { entrypoint });
    expect(c).toMatchObject({ name: 'compat-smart entrypoint', status });
    expect(c.message.startsWith(start)).toBe(true);
  });

  it('rejects a shared memory without a maximum and gives the --max-memory fix', () => {
    // memory section: one memory, flags 0x02 (shared, no max), min 1
    const bytes = Uint8Array.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 5, 3, 1, 2, 1]);
    const e = (() => {
      try {
        decodeModule(bytes);
      } catch (x) {
        return x;
      }
    })();
    expect(e).toBeInstanceOf(WasmParseError);
    expect((e as WasmParseError).reason).toBe('shared memory must have maximum');
    expect(parseErrorFix(e as WasmParseError)).toMatch(/-C link-arg=--max-memory=BYTES/);
  });

  it('parseFeature lists the known names on a typo', () => {
    expect(parseFeature('SIMD')).toBe('simd');
    expect(() => parseFeature('thread')).toThrow(/Unknown feature "thread": expected one of threads, /);
  });
});
