import { verifyBinary } from '@wasm-build/wasm';
import { describe, expect, it } from 'vitest';
import { corpusFile } from '../../../test/helpers/corpus.ts';
import { renderStageTable, renderVerify } from '../src/table.ts';

describe('renderStageTable', () => {
  it('shows stage, result, time, bytes and detail per row', () => {
    const out = renderStageTable([
      { stage: 'build', status: 'ok', durationMs: 1200, bytes: 67539, detail: 'hello.wasm' },
      { stage: 'push', status: 'skipped', durationMs: 0, detail: 'no image reference given' },
      { stage: 'verify', status: 'failed', durationMs: 3, detail: 'not shared' },
    ]);
    expect(out).toMatch(/│ build\s+│ ok\s+│\s+1200 ms │\s+67539 │ hello.wasm/);
    expect(out).toMatch(/│ push\s+│ skipped\s+│\s+│\s+│ no image reference given/);
    expect(out).toMatch(/│ verify\s+│ FAILED/);
  });
});

describe('renderVerify', () => {
  it('shows features, checks, runtime fit and atomics by kind', async () => {
    const doc = await verifyBinary(corpusFile('binaries/wasi-testsuite_thread_spawn-simple.wasm'), { maxSize: 10 });
    const out = renderVerify(doc);
    expect(out).toMatch(/│ shared-memory\s+│ yes\s+│ imported memory env.memory \(min 2, max 2 pages, shared\)/);
    expect(out).toMatch(/│ max size\s+│ fail\s+│ The module is \d+ bytes, over the limit of 10 bytes/);
    expect(out).toMatch(/│ wasmedge\s+│ cannot\s+│/);
    expect(out).toMatch(
      /^atomics: 59 \(load 0, store 11, rmw 14, cmpxchg 24, waitNotify 10, fence 0\) {2}target_features: \+/m,
    );
  });

  it('leaves the check table out when no check ran', async () => {
    const out = renderVerify(await verifyBinary(corpusFile('binaries/wasi-testsuite_as_fd_write-to-stdout.wasm')));
    expect(out).not.toContain('│ check');
    expect(out).toContain('target_features: (none)');
  });
});
